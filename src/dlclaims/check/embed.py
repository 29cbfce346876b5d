"""Sentence embeddings from WordLlama's bundled static token embeddings (offline, 256-d, MIT).

embed(s) = mean over the tokens of s of E[token] / ||.||, with E the (vocab, 256) matrix of
``weights/l2_supercat_256.safetensors`` and the tokenizer of ``tokenizers/l2_supercat_tokenizer_config.json``,
both read from the installed ``wordllama`` package. The package's own ``WordLlama.load()`` looks in
the wrong folder and then tries to download, so the two files are loaded here directly; nothing is
ever downloaded. Without the package, ``available()`` is False and the checker uses TF-IDF alone.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 256
MAX_CACHED_PIECES = 200_000
_PIECE = re.compile(r" +[^ ]*")  # on " " + text: a run of spaces and the word after it


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
    is the sum of the parts' sums over the sum of their counts, so neighbouring windows need no re-embedding.

    Each text's tokens are added in their order, as ``E[ids].sum(axis=0)`` does (the same float32 bits), but
    position by position over all texts at once: texts sorted by length, step k adds the k-th token of every
    text that has one (one vectorised gather and add per position instead of one per text)."""
    tok, E = _model()
    sums = np.zeros((len(texts), E.shape[1]), dtype=np.float32)
    counts = np.zeros(len(texts), dtype=np.float32)
    if not texts:
        return sums, counts
    seqs = _encode(tok, texts)
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    counts[:] = lens
    total = int(lens.sum())
    if total == 0:
        return sums, counts
    flat = np.fromiter((i for s in seqs for i in s), dtype=np.int64, count=total)
    np.clip(flat, 0, E.shape[0] - 1, out=flat)
    order = np.argsort(-lens, kind="stable")  # longest first: the texts with a k-th token are a prefix
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    starts = np.cumsum(lens) - lens
    pos = np.arange(total) - np.repeat(starts, lens)  # each token's position in its text
    L = int(lens.max())
    ids = np.zeros((len(texts), L), dtype=np.int64)  # (N, L) row rank[i]: text i's tokens
    ids[np.repeat(rank, lens), pos] = flat
    n_with = np.bincount(lens, minlength=L + 1)[::-1].cumsum()[::-1]  # n_with[k]: texts with >= k tokens
    acc = np.zeros_like(sums)
    for k in range(L):
        n = int(n_with[k + 1])
        acc[:n] += E[ids[:n, k]]
    sums[order] = acc
    return sums, counts


def _encode(tok, texts: list[str]) -> list[list[int]]:
    """Token ids of each text, as ``tok.encode_batch(texts)`` gives them, read piece by piece.

    The tokenizer has no pre-tokenizer: its normalizer writes "▁" + text with each space as "▁", and BPE runs on
    the whole string, so nothing it learned about one word is reused for the next (the batch encode was 10% of
    a check). No token of the vocabulary holds a "▁" after another character (only runs of "▁" do), so no merge
    crosses the start of a piece "▁...▁word": the ids of a text are its pieces' ids in order, each piece encoded
    once per process and kept (tests/check/test_embed.py compares with the batch encode)."""
    cache: dict[str, list[int]] = _piece_cache()
    pieces = [_PIECE.findall(" " + t) if t else [] for t in texts]
    new = sorted({p for ps in pieces for p in ps if p not in cache})
    # a piece "  word" is "▁▁word" once normalized: encode(" word"); a lone trailing "▁" is that token itself
    found = {p: enc.ids if len(p) > 1 else [tok.token_to_id("▁")]
             for p, enc in zip(new, tok.encode_batch([p[1:] for p in new], add_special_tokens=False))}
    if len(cache) + len(found) <= MAX_CACHED_PIECES:
        cache.update(found)
    out = []
    for ps in pieces:
        ids: list[int] = []
        for p in ps:
            ids.extend(cache[p] if p in cache else found[p])
        out.append(ids)
    return out


@lru_cache(maxsize=1)
def _piece_cache() -> dict[str, list[int]]:
    return {}


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
