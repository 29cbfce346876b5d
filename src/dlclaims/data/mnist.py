"""Real MNIST (opt-in) from the four IDX files a user already has on disk; nothing is downloaded.

The IDX format (LeCun et al.): a 4-byte magic number ``0x00 0x00 TYPE NDIM``,
then NDIM big-endian uint32 dimensions, then the prod(dims) items, big-endian,
row-major. TYPE is 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32
or 0x0E float64. MNIST images are ``0x00000803`` (uint8, (N, 28, 28)), labels
``0x00000801`` (uint8, (N,)). Either file may be gzipped (detected from the
content, not the name).

``load_mnist(data_dir)`` returns ``x_train`` (N, 784) float32 = pixel / 255 in
[0, 1], ``y_train`` (N,) int64 in 0..9, and the same for the test set. Every
malformed input -- a missing folder or file, a wrong magic number, a size that
disagrees with the header, labels outside 0..9, image and label counts that
differ -- is a :class:`~dlclaims.core.errors.BadInput` with one clear line
(``dlclaims run`` exits 2).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..core.errors import BadInput

# IDX type byte -> big-endian numpy dtype (the tensor gets the matching torch dtype)
IDX_TYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
N_CLASSES = 10

# the standard names (yann.lecun.com), and the dotted spelling some mirrors use; each raw or .gz
FILES: dict[str, tuple[str, ...]] = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


class Mnist(NamedTuple):
    """``x_*`` (N, R*C) float32 in [0, 1] (R*C = 784 for MNIST); ``y_*`` (N,) int64 in 0..9."""

    x_train: torch.Tensor  # (N, 784)
    y_train: torch.Tensor  # (N,)
    x_test: torch.Tensor  # (M, 784)
    y_test: torch.Tensor  # (M,)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no IDX file at {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder, not an IDX file") from None
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise BadInput(f"{path} is a broken gzip file ({e})") from None
    return raw


def parse_idx(data: bytes, *, name: str = "IDX data") -> torch.Tensor:
    """Decode the bytes of one (uncompressed) IDX file into a tensor of its dims and type."""
    if len(data) < 4:
        raise BadInput(f"{name} is not an IDX file: {len(data)} bytes, shorter than the 4-byte magic number")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise BadInput(f"{name} is not an IDX file: magic number 0x{data[:4].hex()} "
                       "(expected 0x0000TTDD with a known type TT)")
    np_dtype = IDX_TYPES[data[2]]
    ndim = data[3]
    if ndim == 0:
        raise BadInput(f"{name}: an IDX file with 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise BadInput(f"{name} is truncated: its header needs {header} bytes, the file has {len(data)}")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    itemsize = np.dtype(np_dtype).itemsize
    need = math.prod(dims) * itemsize
    have = len(data) - header
    if have != need:
        what = "truncated" if have < need else "longer than its header says"
        raise BadInput(f"{name} is {what}: dims {dims} need {need} bytes of data, found {have}")
    arr = np.frombuffer(data, dtype=np_dtype, offset=header).reshape(dims)
    return torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (raw or gzipped) into a tensor with the file's dims and element type."""
    p = Path(path)
    return parse_idx(_read_bytes(p), name=str(p))


def _find(folder: Path, key: str) -> Path:
    for stem in FILES[key]:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    raise BadInput(f"MNIST folder {folder} has no {FILES[key][0]}[.gz] (nothing is downloaded: "
                   "put the four IDX files there)")


def mnist_files(data_dir: str | Path) -> dict[str, Path]:
    """The four files of an MNIST folder (raw preferred over .gz); BadInput when one is missing."""
    folder = Path(data_dir).expanduser()
    if not folder.exists():
        raise BadInput(f"MNIST folder {folder} does not exist")
    if not folder.is_dir():
        raise BadInput(f"MNIST data_dir {folder} is not a folder")
    return {key: _find(folder, key) for key in FILES}


def _images(path: Path) -> torch.Tensor:
    data = _read_bytes(path)
    x = parse_idx(data, name=str(path))
    magic = int.from_bytes(data[:4], "big")
    if magic != IMAGES_MAGIC:
        raise BadInput(f"{path} is not an MNIST image file: magic 0x{magic:08x}, expected 0x{IMAGES_MAGIC:08x} "
                       "(uint8, 3 dims)")
    n, rows, cols = x.shape
    if rows == 0 or cols == 0:
        raise BadInput(f"{path}: images of size {rows}x{cols}")
    return x.reshape(n, rows * cols).to(torch.float32) / 255.0  # (N, R*C) in [0, 1]


def _labels(path: Path) -> torch.Tensor:
    data = _read_bytes(path)
    y = parse_idx(data, name=str(path))
    magic = int.from_bytes(data[:4], "big")
    if magic != LABELS_MAGIC:
        raise BadInput(f"{path} is not an MNIST label file: magic 0x{magic:08x}, expected 0x{LABELS_MAGIC:08x} "
                       "(uint8, 1 dim)")
    y = y.to(torch.int64)  # (N,)
    if y.numel() and int(y.max()) >= N_CLASSES:
        raise BadInput(f"{path}: label {int(y.max())} outside 0..{N_CLASSES - 1}")
    return y


def load_mnist(data_dir: str | Path) -> Mnist:
    """``(x_train, y_train, x_test, y_test)`` from the four standard IDX files in ``data_dir``.

    ``x_*`` (N, 784) float32 = intensity / 255 in [0, 1]; ``y_*`` (N,) int64 in 0..9.
    """
    files = mnist_files(data_dir)
    x_tr, y_tr = _images(files["train_images"]), _labels(files["train_labels"])
    x_te, y_te = _images(files["test_images"]), _labels(files["test_labels"])
    for split, x, y, fx, fy in (("train", x_tr, y_tr, files["train_images"], files["train_labels"]),
                                ("test", x_te, y_te, files["test_images"], files["test_labels"])):
        if x.shape[0] != y.shape[0]:
            raise BadInput(f"MNIST {split} set: {x.shape[0]} images in {fx.name} but {y.shape[0]} labels "
                           f"in {fy.name}")
        if x.shape[0] == 0:
            raise BadInput(f"MNIST {split} set in {fx.name} is empty")
    if x_tr.shape[1] != x_te.shape[1]:
        raise BadInput(f"MNIST train images have {x_tr.shape[1]} pixels but test images {x_te.shape[1]}")
    return Mnist(x_tr, y_tr, x_te, y_te)


def dynamic_binarize(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A fresh Bernoulli draw per pixel, P(1) = intensity: (B, D) in [0, 1] -> (B, D) in {0, 1}."""
    return torch.bernoulli(x, generator=generator)
