import pytest
import torch

from dlclaims.data.digits import load_digits_split, load_digits_tvt, stratified_indices


def test_tvt_validation_is_carved_from_train_and_disjoint():
    s, t = load_digits_split(3), load_digits_tvt(3)
    assert torch.equal(s.x_test, t.x_test)
    assert len(t.y_train) + len(t.y_val) == len(s.y_train)
    rows = {tuple(r.tolist()) for r in t.x_train}
    assert torch.bincount(t.y_val).min() >= 20  # every class in validation


@pytest.mark.parametrize("n", [10, 30, 97])
def test_stratified_indices_cover_every_class_and_vary_with_the_seed(n):
    y = load_digits_split(0).y_train
    a, b = stratified_indices(y, n, seed=0), stratified_indices(y, n, seed=1)
    assert len(a) == n == len(set(a.tolist()))
    assert (torch.bincount(y[a], minlength=10) >= 1).all()
    assert not torch.equal(a, b)
    assert torch.equal(a, stratified_indices(y, n, seed=0))


def test_stratified_indices_refuse_bad_sizes():
    with pytest.raises(ValueError):
        stratified_indices(torch.tensor([0, 1]), 3, seed=0)
