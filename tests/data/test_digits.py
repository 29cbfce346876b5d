import torch

from dlclaims.data.digits import N_CLASSES, load_digits_split


def test_shapes_range_and_disjoint() -> None:
    s = load_digits_split(seed=0, test_fraction=0.25)
    assert s.x_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert s.x_train.shape[1] == 64 and s.x_test.shape[1] == 64
    assert s.x_train.shape[0] == s.y_train.shape[0] and s.x_test.shape[0] == s.y_test.shape[0]
    assert float(s.x_train.min()) >= 0.0 and float(s.x_train.max()) <= 1.0
    n = s.x_train.shape[0] + s.x_test.shape[0]
    assert abs(s.x_test.shape[0] / n - 0.25) < 0.02
    # every class appears on both sides
    assert set(s.y_test.tolist()) == set(range(N_CLASSES)) == set(s.y_train.tolist())
    # no test image is a train row object (indices disjoint): rows sum to the full data
    both = torch.cat([s.x_train, s.x_test])
    assert both.shape[0] == n


def test_same_seed_same_split_other_seed_differs() -> None:
    a, b, c = load_digits_split(1), load_digits_split(1), load_digits_split(2)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.y_test, c.y_test)
