"""Sentence embeddings from WordLlama's bundled static token embeddings (offline, 256-d, MIT).

embed(s) = mean over the tokens of s of E[token] / ||.||, with E the (vocab, 256) matrix of
``weights/l2_supercat_256.safetensors`` and the tokenizer of ``tokenizers/l2_supercat_tokenizer_config.json``,
both read from the installed ``wordllama`` package. The package's own ``WordLlama.load()`` looks in
the wrong folder and then tries to download, so the two files are loaded here directly; nothing is
ever downloaded. Without the package, ``available()`` is False and the checker uses TF-IDF alone.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 256


@lru_cache(maxsize=1)
def _files() -> tuple[Path, Path] | None:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    tok, w = root / "tokenizers" / "l2_supercat_tokenizer_config.json", root / "weights" / "l2_supercat_256.safetensors"
    return (tok, w) if tok.exists() and w.exists() else None


def available() -> bool:
    return _files() is not None


@lru_cache(maxsize=1)
def _model():
    from safetensors import safe_open
    from tokenizers import Tokenizer

    files = _files()
    if files is None:
        raise RuntimeError("wordllama is not installed")
    tok = Tokenizer.from_file(str(files[0]))
    tok.no_padding()
    tok.no_truncation()
    with safe_open(str(files[1]), framework="np", device="cpu") as f:
        E = np.ascontiguousarray(f.get_tensor("embedding.weight").astype(np.float32))  # (V, 256)
    return tok, E


def token_sums(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 256) sums of the token embeddings of each text and (N,) token counts: the mean of a concatenation
    is the sum of the parts' sums over the sum of their counts, so neighbouring windows need no re-embedding."""
    tok, E = _model()
    sums = np.zeros((len(texts), E.shape[1]), dtype=np.float32)
    counts = np.zeros(len(texts), dtype=np.float32)
    if not texts:
        return sums, counts
    for i, enc in enumerate(tok.encode_batch(texts, add_special_tokens=False)):
        ids = np.clip(np.asarray(enc.ids, dtype=np.int64), 0, E.shape[0] - 1)
        if ids.size:
            sums[i] = E[ids].sum(axis=0)
            counts[i] = ids.size
    return sums, counts


def unit(sums: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero); the mean's direction is the sum's."""
    n = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(n > 0, n, 1.0)


def embed(texts: list[str]) -> np.ndarray:
    """(N, 256) unit vectors of the mean token embedding; an empty text gives the zero vector."""
    return unit(token_sums(texts)[0])


def _identity() -> list[object]:
    """The model files as the cache key sees them: path, size and modification time."""
    files = _files()
    return [] if files is None else [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def embed_cached(texts: list[str]) -> np.ndarray:
    """``embed(texts)`` for fixed reference texts (the knowledge base's examples), read from the disk cache
    (refcache.py) when it holds them for these texts and these model files."""
    from . import refcache

    return refcache.array("embed", texts, {"model": _identity(), "dim": DIM}, lambda: embed(texts))
