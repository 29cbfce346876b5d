import pytest
import torch
import torch.nn.functional as F

from dlclaims.core.multiseed import StackedModels, train_one, train_stacked
from dlclaims.models.autoencoder import Autoencoder, bce_loss
from dlclaims.models.classifier import DigitsClassifier


def test_shapes_and_reconstruction_loss_oracle() -> None:
    ae = Autoencoder(d_in=10, d_latent=3, hidden=8, generator=torch.Generator().manual_seed(0))
    x = torch.rand(5, 10, generator=torch.Generator().manual_seed(1))
    z = ae.encode(x)
    logits = ae(x)
    assert z.shape == (5, 3) and logits.shape == (5, 10)
    ref = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / 5
    torch.testing.assert_close(bce_loss(logits, x), ref, rtol=1e-4, atol=1e-4)


def test_same_generator_same_weights() -> None:
    a = Autoencoder(generator=torch.Generator().manual_seed(3))
    b = Autoencoder(generator=torch.Generator().manual_seed(3))
    c = Autoencoder(generator=torch.Generator().manual_seed(4))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_stacked_training_equals_one_model_trained_alone() -> None:
    x = torch.rand(40, 6, generator=torch.Generator().manual_seed(0))

    def make(g: torch.Generator) -> Autoencoder:
        return Autoencoder(d_in=6, d_latent=2, hidden=8, generator=g)

    stack = StackedModels.create(make, seeds=(0, 1))
    train_stacked(stack, x, x, loss=bce_loss, steps=15, batch_size=8, lr=1e-2)
    alone = make(torch.Generator().manual_seed(1))
    train_one(alone, x, x, seed=1, loss=bce_loss, steps=15, batch_size=8, lr=1e-2)
    torch.testing.assert_close(stack.unstack()[1].encode(x), alone.encode(x), rtol=1e-4, atol=1e-5)


def test_classifier_features_feed_the_head() -> None:
    clf = DigitsClassifier(d_in=6, hidden=5, n_classes=3, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(1))
    assert clf.features(x).shape == (4, 5)
    torch.testing.assert_close(clf(x), clf.head(clf.features(x)))


def test_latent_width_zero_is_rejected() -> None:
    with pytest.raises(ValueError):
        Autoencoder(d_latent=0)


def test_padded_latent_slots_stay_zero_and_get_no_gradient():
    ae = Autoencoder(d_in=6, d_latent=2, hidden=8, pad_to=5, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 6)
    z = ae.encode(x)  # (4, 5)
    assert z.shape == (4, 5) and bool((z[:, 2:] == 0).all()) and bool((z[:, :2] != 0).any())
    bce_loss(ae(x), x).backward()
    assert float(ae.encoder[-1].weight.grad[2:].abs().sum()) == 0.0
    assert float(ae.decoder[0].weight.grad[:, 2:].abs().sum()) == 0.0
    assert float(ae.decoder[0].weight[:, 2:].detach().abs().sum()) == 0.0
    with pytest.raises(ValueError):
        Autoencoder(d_in=6, d_latent=3, pad_to=2)
