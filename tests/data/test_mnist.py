"""The IDX reader on small files written here (raw and gzipped); malformed inputs are BadInput."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from dlclaims.core.errors import BadInput
from dlclaims.data.mnist import dynamic_binarize, load_mnist, parse_idx, read_idx

TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    """An independent IDX writer: struct-packed header, big-endian items."""
    code = TYPE_CODES[arr.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path: Path, arr: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(arr)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def fake_mnist(folder: Path, n_train: int = 7, n_test: int = 3, gz: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    imgs = {s: rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8) for s, n in (("train", n_train),
                                                                                  ("t10k", n_test))}
    labels = {s: rng.integers(0, 10, size=(len(imgs[s]),), dtype=np.uint8) for s in imgs}
    for s, x in imgs.items():
        write(folder / f"{s}-images-idx3-ubyte", x, gz)
        write(folder / f"{s}-labels-idx1-ubyte", labels[s], gz)
    return imgs, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_back_what_was_written(tmp_path, gz):
    imgs, labels = fake_mnist(tmp_path, gz=gz)
    m = load_mnist(tmp_path)
    x_train, y_train, x_test, y_test = m  # a plain 4-tuple too
    assert x_train.shape == (7, 784) and x_test.shape == (3, 784)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert torch.equal(x_train, torch.from_numpy(imgs["train"].reshape(7, 784).astype(np.float32) / 255.0))
    assert torch.equal(y_test, torch.from_numpy(labels["t10k"].astype(np.int64)))
    assert float(x_train.min()) >= 0.0 and float(x_train.max()) <= 1.0


@pytest.mark.parametrize("dtype", list(TYPE_CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_every_type(tmp_path, dtype, gz):
    rng = np.random.default_rng(1)
    arr = (rng.standard_normal((2, 3, 4)) * 50).astype(dtype)
    back = read_idx(write(tmp_path / "a.idx", arr, gz))
    assert back.shape == (2, 3, 4)
    assert np.array_equal(back.numpy(), arr)  # values, not byte order, survive


def test_big_endian_dims_and_items_are_decoded():
    data = bytes([0, 0, 0x0B, 1]) + (2).to_bytes(4, "big") + (258).to_bytes(2, "big") + (-2).to_bytes(2, "big",
                                                                                                         signed=True)
    assert parse_idx(data).tolist() == [258, -2]


def test_raw_is_preferred_and_gz_and_raw_may_mix(tmp_path):
    _, labels = fake_mnist(tmp_path, gz=True, seed=0)
    shifted = (labels["train"] + 1) % 10
    write(tmp_path / "train-labels-idx1-ubyte", shifted)  # a raw file beside the .gz
    assert torch.equal(load_mnist(tmp_path).y_train, torch.from_numpy(shifted.astype(np.int64)))


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "shorter than the 4-byte magic"),
        (b"\x00\x00\x08", "shorter than the 4-byte magic"),
        (b"\x01\x00\x08\x01" + bytes(8), "not an IDX file: magic"),
        (b"\x00\x00\x07\x01" + bytes(8), "not an IDX file: magic"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x02\x00\x00", "header needs 12 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02abc", "longer than its header says"),
        (b"\x00\x00\x08\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "truncated"),
    ],
)
def test_malformed_idx_is_bad_input(data, message):
    with pytest.raises(BadInput, match=message):
        parse_idx(data)


def test_missing_folder_file_or_wrong_kind_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        load_mnist(tmp_path / "nope")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(BadInput, match="not a folder"):
        load_mnist(tmp_path / "afile")
    fake_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(BadInput, match="no t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_labels_in_the_image_slot_and_bad_contents_are_bad_input(tmp_path):
    imgs, labels = fake_mnist(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", labels["train"])  # a label file where images belong
    with pytest.raises(BadInput, match="not an MNIST image file"):
        load_mnist(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", imgs["train"])
    write(tmp_path / "train-labels-idx1-ubyte", labels["train"][:-1])
    with pytest.raises(BadInput, match="7 images .* but 6 labels"):
        load_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte", np.full(7, 10, dtype=np.uint8))
    with pytest.raises(BadInput, match="label 10 outside 0..9"):
        load_mnist(tmp_path)


def test_broken_gzip_is_bad_input(tmp_path):
    p = write(tmp_path / "a.idx", np.arange(100, dtype=np.uint8), gz=True)
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(BadInput, match="broken gzip"):
        read_idx(p)


def test_dynamic_binarization_draws_bernoulli_with_the_pixel_as_probability():
    x = torch.tensor([[0.0, 1.0, 0.25]]).expand(20000, 3)
    g = torch.Generator().manual_seed(0)
    b = dynamic_binarize(x, g)
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    assert b[:, 0].sum() == 0 and b[:, 1].sum() == 20000
    assert abs(float(b[:, 2].mean()) - 0.25) < 4 * (0.25 * 0.75 / 20000) ** 0.5
    assert torch.equal(b, dynamic_binarize(x, torch.Generator().manual_seed(0)))
