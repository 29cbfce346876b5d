"""A disk cache of the checker's fitted reference matrices, so that a run does not refit them.

The TF-IDF vectorizers fitted on the knowledge base's examples (detect.py) and on the family documents
(match.py), their matrices, and the examples' WordLlama embeddings (embed.py) are pure functions of their
input texts, the vectorizers' parameters and the library versions. The cache key is a SHA-256 over all of
these (and, for embeddings, the model files' size and modification time), so an edited knowledge base,
catalogue or cleaning rule gives other input texts and another key: a stale entry is never read. Entries are
``.npz`` files (no pickle) under ``$DLCLAIMS_CACHE_DIR``, else ``$XDG_CACHE_HOME/dlclaims``, else
``~/.cache/dlclaims``; ``DLCLAIMS_CACHE_DIR=off`` turns the cache off. A cache that cannot be read or
written is ignored (the matrices are then fitted as before); nothing else depends on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

FORMAT = 1
_PACKAGES = ("numpy", "scipy", "scikit-learn", "tokenizers", "wordllama")


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    env = os.environ.get("DLCLAIMS_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "none", "no") else Path(env)
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home directory: no cache
        return None
    return Path(base) / "dlclaims"


def _versions() -> dict[str, str]:
    out = {}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = ""
    return out


def key(kind: str, texts: list[str], params: Any) -> str:
    """SHA-256 of the entry's kind, input texts, parameters and library versions."""
    blob = json.dumps({"format": FORMAT, "kind": kind, "texts": texts, "params": params, "versions": _versions()},
                      sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _path(kind: str, k: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"{kind}-{k[:40]}.npz"


def _read(kind: str, k: str) -> dict[str, np.ndarray] | None:
    p = _path(kind, k)
    if p is None or not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            data = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError):
        return None
    return data if str(data.get("__key__", "")) == k else None


def _write(kind: str, k: str, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (a temporary file renamed into place); drop this kind's older entries; never raise."""
    p = _path(kind, k)
    if p is None:
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".npz", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, __key__=np.array(k), **arrays)
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in p.parent.glob(f"{kind}-*.npz"):
            if old != p:
                old.unlink(missing_ok=True)
    except OSError:
        pass


def _csr_arrays(name: str, X) -> dict[str, np.ndarray]:
    X = X.tocsr() if not sp.isspmatrix_csr(X) else X
    return {f"{name}.data": X.data, f"{name}.indices": X.indices, f"{name}.indptr": X.indptr,
            f"{name}.shape": np.array(X.shape, dtype=np.int64)}


def _csr(name: str, z: dict[str, np.ndarray]) -> sp.csr_matrix:
    """The stored matrix exactly as fitted (the same arrays, index order included: products give the same bits)."""
    shape = tuple(int(s) for s in z[f"{name}.shape"])
    return sp.csr_matrix((z[f"{name}.data"], z[f"{name}.indices"], z[f"{name}.indptr"]), shape=shape)


def fit_tfidf(kind: str, texts: list[str], settings: list[dict[str, Any]]) -> list[tuple[Any, sp.csr_matrix]]:
    """``TfidfVectorizer(**kw).fit_transform(texts)`` for each ``kw`` in ``settings``, as (fitted vectorizer,
    matrix) pairs; the vectorizers are ``ngrams.Vectorizer`` (scikit-learn is imported only to fit, on a miss)."""
    from .ngrams import Vectorizer

    k = key(kind, texts, [sorted((n, repr(v)) for n, v in kw.items()) for kw in settings])
    z = _read(kind, k)
    if z is not None:
        try:
            out = []
            for i, kw in enumerate(settings):
                terms = z[f"v{i}.terms"].tolist()
                vec = Vectorizer(str(z[f"v{i}.analyzer"]), tuple(int(n) for n in z[f"v{i}.ngram_range"]),
                                 dict(zip(terms, range(len(terms)))), z.get(f"v{i}.idf"),
                                 bool(z[f"v{i}.lowercase"]), str(z[f"v{i}.token_pattern"]) or None,
                                 frozenset(z[f"v{i}.stop_words"].tolist()), bool(z[f"v{i}.sublinear_tf"]),
                                 str(z[f"v{i}.norm"]) or None, bool(z[f"v{i}.use_idf"]), np.dtype(str(z[f"v{i}.dtype"])).type)
                out.append((vec, _csr(f"X{i}", z)))
            return out
        except (KeyError, ValueError, TypeError):
            pass
    from sklearn.feature_extraction.text import TfidfVectorizer

    out, arrays = [], {}
    for i, kw in enumerate(settings):
        sk = TfidfVectorizer(**kw)
        X = sk.fit_transform(texts)
        vec = Vectorizer.from_sklearn(sk)
        out.append((vec, X))
        arrays.update({f"v{i}.terms": np.array(vec.get_feature_names_out().tolist(), dtype=str),
                       f"v{i}.analyzer": np.array(vec.analyzer), f"v{i}.ngram_range": np.array(vec.ngram_range),
                       f"v{i}.lowercase": np.array(vec.lowercase), f"v{i}.token_pattern": np.array(vec.token_pattern or ""),
                       f"v{i}.stop_words": np.array(sorted(vec.stop_words), dtype=str),
                       f"v{i}.sublinear_tf": np.array(vec.sublinear_tf), f"v{i}.norm": np.array(vec.norm or ""),
                       f"v{i}.use_idf": np.array(vec.use_idf), f"v{i}.dtype": np.array(np.dtype(vec.dtype).str)})
        if vec.idf_ is not None:
            arrays[f"v{i}.idf"] = vec.idf_
        arrays.update(_csr_arrays(f"X{i}", X))
    _write(kind, k, arrays)
    return out


def arrays(kind: str, texts: list[str], params: Any, build: Callable[[], dict[str, np.ndarray]]
           ) -> dict[str, np.ndarray]:
    """``build()``, named arrays that are a pure function of ``texts`` and ``params``, read from the cache when it
    holds them."""
    k = key(kind, texts, params)
    z = _read(kind, k)
    if z is not None:
        z.pop("__key__", None)
        return z
    out = {n: np.asarray(a) for n, a in build().items()}
    _write(kind, k, out)
    return out


def array(kind: str, texts: list[str], params: Any, build: Callable[[], np.ndarray]) -> np.ndarray:
    """``build()``, a pure function of ``texts`` and ``params``, read from the cache when it holds it."""
    return arrays(kind, texts, params, lambda: {"A": build()})["A"]
