"""The pre-LN causal decoder: KV-cache decoding equals full recomputation; outputs ignore the future."""

import pytest
import torch

from dlclaims.models.transformer import CausalDecoder, crossover_t, kv_cache_bytes, param_count


def model(impl="unfused", width=12, layers=2, heads=3, seed=0):
    return CausalDecoder(width, layers, heads, impl=impl, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("impl", ["unfused", "sdpa"])
@pytest.mark.parametrize("chunks", [[1] * 7, [3, 1, 3], [2, 5]])
def test_cached_decoding_equals_full_recomputation(impl, chunks):
    m = model(impl)
    x = torch.randn(2, sum(chunks), 12, generator=torch.Generator().manual_seed(1))
    full, full_cache = m(x)
    cache, outs, start = None, [], 0
    for c in chunks:
        y, cache = m(x[:, start:start + c], cache=cache)
        outs.append(y)
        start += c
    torch.testing.assert_close(torch.cat(outs, dim=1), full, atol=1e-5, rtol=1e-5)
    for (k, v), (kf, vf) in zip(cache, full_cache):
        torch.testing.assert_close(k, kf, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(v, vf, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("impl", ["unfused", "sdpa"])
@pytest.mark.parametrize("cut", [1, 4, 6])
def test_causal_output_ignores_future_tokens(impl, cut):
    m = model(impl)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 7, 12, generator=g)
    x2 = x.clone()
    x2[:, cut:] = torch.randn(2, 7 - cut, 12, generator=g)
    y, y2 = m(x)[0], m(x2)[0]
    torch.testing.assert_close(y[:, :cut], y2[:, :cut])
    assert not torch.allclose(y[:, cut:], y2[:, cut:])


def test_fused_and_unfused_attention_agree():
    x = torch.randn(2, 9, 12, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(model("unfused")(x)[0], model("sdpa")(x)[0], atol=1e-5, rtol=1e-5)


def test_generate_with_and_without_cache_agree_and_cache_bytes():
    m = model()
    x0 = torch.randn(2, 12, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        a = m.generate(x0, 5, use_cache=True)
        b = m.generate(x0, 5, use_cache=False)
        _, cache = m(torch.randn(2, 5, 12))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    assert kv_cache_bytes(cache) == 2 * m.layers * 2 * 5 * 12 * 4  # 2 L B S D float32


def test_bad_heads_are_rejected_and_theory_helpers():
    with pytest.raises(ValueError, match="divide"):
        CausalDecoder(10, 1, 3)
    # crossover: (4 + 2 * ratio) t n^2 = 2 t^2 n at t = 6n
    assert crossover_t(16) == pytest.approx(6 * 16)
    one_block = param_count(model(layers=2)) - param_count(model(layers=1))
    assert one_block == 12 * 12 * 12 + 13 * 12  # 12 n^2 weights, 9n + 4n biases and LayerNorm terms
