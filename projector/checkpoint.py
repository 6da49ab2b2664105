"""TensorFlow checkpoints (tensor bundles) read without TensorFlow or the protobuf package.

A checkpoint ``PREFIX`` is ``PREFIX.index`` — a LevelDB-style table mapping each tensor's name to a
BundleEntryProto (dtype, shape, shard, offset, size, masked crc32c), the empty key holding the
BundleHeaderProto — and ``PREFIX.data-00000-of-0000N``, the tensors' bytes. ``tf.compat.v1.train.Saver``
(V2) and ``tf.train.Checkpoint`` both write it. The ``checkpoint`` file beside it (a text proto) names
the latest prefix and the ones kept. Every damaged or missing file is a :class:`DataError`.
"""
from __future__ import annotations

import math
import os
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import formats
from .errors import DataError

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_BYTES = 48          # two block handles padded to 40 bytes, then the magic number
BLOCK_TRAILER_BYTES = 5    # compression type + masked crc32c
CRC_CHECK_BYTES = 128 << 20    # tensors up to this size have their crc32c checked (numpy: ~200 MB/s here); larger: sizes only
INDEX_CACHE_SIZE = 256         # parsed .index files kept (a log-folder watcher re-reads them every few seconds)
OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"
BUNDLE_VERSION = 1         # the tensor-bundle version TensorFlow writes (and the newest one read here)
STEP = re.compile(r"-(\d+)$")

# TensorFlow's DataType enum: number -> (name, numpy dtype or None when it is not read)
DTYPES = {
    1: ("float32", "f4"), 2: ("float64", "f8"), 3: ("int32", "i4"), 4: ("uint8", "u1"), 5: ("int16", "i2"),
    6: ("int8", "i1"), 7: ("string", None), 8: ("complex64", "c8"), 9: ("int64", "i8"), 10: ("bool", "?"),
    11: ("qint8", None), 12: ("quint8", None), 13: ("qint32", None), 14: ("bfloat16", "u2"), 15: ("qint16", None),
    16: ("quint16", None), 17: ("uint16", "u2"), 18: ("complex128", "c16"), 19: ("float16", "f2"),
    20: ("resource", None), 21: ("variant", None), 22: ("uint32", "u4"), 23: ("uint64", "u8"),
    24: ("float8_e5m2", None), 25: ("float8_e4m3fn", None), 26: ("float8_e4m3fnuz", None),
    27: ("float8_e4m3b11fnuz", None), 28: ("float8_e5m2fnuz", None), 29: ("int4", None), 30: ("uint4", None),
}


def dtype_name(number: int) -> str:
    return DTYPES[number][0] if number in DTYPES else f"unknown data type {number}"


# ---------------------------------------------------------------- crc32c (Castagnoli), as TF stores it

def _crc_tables() -> np.ndarray:
    t = np.zeros((4, 256), dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t[0, i] = c
    for k in range(1, 4):
        t[k] = (t[k - 1] >> 8) ^ t[0][t[k - 1] & 0xFF]
    return t


_T = _crc_tables()
_T0 = _T[0].tolist()


def _crc_bytes(register: int, data) -> int:
    for b in data:
        register = _T0[(register ^ b) & 0xFF] ^ (register >> 8)
    return register


def _advance_words(c: np.ndarray, words: int) -> np.ndarray:
    """The crc registers ``c`` after ``words`` 32-bit words of zeros (slice-by-4)."""
    t0, t1, t2, t3 = _T
    for _ in range(words):
        c = t3[c & 0xFF] ^ t2[(c >> 8) & 0xFF] ^ t1[(c >> 16) & 0xFF] ^ t0[c >> 24]
    return c


def crc32c(data) -> int:
    """The CRC-32C of ``data`` (bytes or a uint8 array). Large inputs are cut into ~√n chunks whose
    registers numpy advances side by side; the chunks are then joined by linearity of the crc."""
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1).view(np.uint8)
    n = buf.size
    if n < 4096:
        return _crc_bytes(0xFFFFFFFF, buf.tobytes()) ^ 0xFFFFFFFF
    words = n // 4
    length = max(64, math.isqrt(words))          # words per chunk
    chunks = words // length
    t0, t1, t2, t3 = _T
    c = np.zeros(chunks, dtype=np.uint32)
    c[0] = 0xFFFFFFFF
    step = max(1, (8 << 20) // (4 * chunks))     # columns transposed at a time: ~8 MB
    body = buf[:chunks * length * 4].view("<u4").reshape(chunks, length)
    for s in range(0, length, step):
        block = np.ascontiguousarray(body[:, s:s + step].T)
        for column in block:
            c ^= column
            c = t3[c & 0xFF] ^ t2[(c >> 8) & 0xFF] ^ t1[(c >> 16) & 0xFF] ^ t0[c >> 24]
    # shift(x) = x advanced by one chunk of zeros: linear, so a table per byte of x
    basis = _advance_words(np.array([1 << b for b in range(32)], dtype=np.uint32), length).tolist()
    shift = [[0] * 256 for _ in range(4)]
    for byte in range(4):
        row = shift[byte]
        for v in range(1, 256):
            low = v & -v
            row[v] = row[v ^ low] ^ basis[8 * byte + low.bit_length() - 1]
    s0, s1, s2, s3 = shift
    acc = 0
    for x in c.tolist():
        acc = s0[acc & 0xFF] ^ s1[(acc >> 8) & 0xFF] ^ s2[(acc >> 16) & 0xFF] ^ s3[acc >> 24] ^ x
    return _crc_bytes(acc, buf[chunks * length * 4:].tobytes()) ^ 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    """TensorFlow (like LevelDB) stores ``((crc >> 15) | (crc << 17)) + 0xa282ead8``."""
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# ---------------------------------------------------------------- protobuf wire format

class _Corrupt(Exception):
    """Bytes that do not decode; the caller turns it into a DataError naming the file."""


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Corrupt("a number runs past its end")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf, pos: int = 0, end: int | None = None):
    """(field number, value) of a protobuf message: ints for varint/fixed fields, bytes for the rest."""
    end = len(buf) if end is None else end
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, end)
        elif wire == 1 or wire == 5:
            width = 8 if wire == 1 else 4
            if pos + width > end:
                raise _Corrupt("a fixed-width field runs past its end")
            value = int.from_bytes(buf[pos:pos + width], "little")
            pos += width
        elif wire == 2:
            size, pos = _varint(buf, pos, end)
            if pos + size > end:
                raise _Corrupt("a field runs past its end")
            value = bytes(buf[pos:pos + size])
            pos += size
        else:
            raise _Corrupt(f"wire type {wire} is not one TensorFlow writes")
        yield number, value


def _int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _shape(buf: bytes) -> tuple:
    dims, unknown = [], False
    for number, value in _fields(buf):
        if number == 2 and isinstance(value, bytes):
            size = 0
            for n, v in _fields(value):
                if n == 1 and isinstance(v, int):
                    size = _int64(v)
            dims.append(size)
        elif number == 3:
            unknown = bool(value)
    if unknown or any(d < 0 for d in dims):
        raise _Corrupt("a tensor's shape is not fully known")
    return tuple(dims)


class _Entry:
    __slots__ = ("dtype", "shape", "shard", "offset", "size", "crc", "slices")

    def __init__(self, value: bytes):
        self.dtype, self.shape, self.shard, self.offset, self.size, self.crc, self.slices = 0, (), 0, 0, 0, None, 0
        for number, v in _fields(value):
            if number == 1 and isinstance(v, int):
                self.dtype = v
            elif number == 2 and isinstance(v, bytes):
                self.shape = _shape(v)
            elif number == 3 and isinstance(v, int):
                self.shard = v
            elif number == 4 and isinstance(v, int):
                self.offset = _int64(v)
            elif number == 5 and isinstance(v, int):
                self.size = _int64(v)
            elif number == 6 and isinstance(v, int):
                self.crc = v
            elif number == 7:
                self.slices += 1


# ---------------------------------------------------------------- the table (.index)

def _handle(buf, pos: int, end: int) -> tuple[int, int, int]:
    offset, pos = _varint(buf, pos, end)
    size, pos = _varint(buf, pos, end)
    return offset, size, pos


def _block(data: bytes, offset: int, size: int, limit: int) -> memoryview:
    if offset + size + BLOCK_TRAILER_BYTES > limit:
        raise _Corrupt("a block lies past the end of the file (the file is truncated)")
    stored = int.from_bytes(data[offset + size + 1:offset + size + 5], "little")
    if unmask_crc(stored) != crc32c(data[offset:offset + size + 1]):
        raise _Corrupt("a block's checksum does not match its bytes")
    kind = data[offset + size]     # checked after the checksum: a wrong handle is damage, not compression
    if kind != 0:
        raise _Corrupt("snappy" if kind == 1 else f"compression type {kind}")
    return memoryview(data)[offset:offset + size]


def _block_entries(block: memoryview):
    """(key, value) of a table block: prefix-compressed keys, restart points at the end."""
    if len(block) < 4:
        raise _Corrupt("a block is too short")
    restarts = int.from_bytes(block[-4:], "little")
    end = len(block) - 4 * (restarts + 1)
    if restarts < 1 or end < 0:
        raise _Corrupt("a block's restart points are wrong")
    key, pos = b"", 0
    while pos < end:
        shared, pos = _varint(block, pos, end)
        unshared, pos = _varint(block, pos, end)
        size, pos = _varint(block, pos, end)
        if shared > len(key) or pos + unshared + size > end:
            raise _Corrupt("an entry runs past its block")
        key = key[:shared] + bytes(block[pos:pos + unshared])
        pos += unshared
        yield key, bytes(block[pos:pos + size])
        pos += size


def _read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    if len(data) < FOOTER_BYTES:
        raise _Corrupt("truncated")
    limit = len(data) - FOOTER_BYTES
    if int.from_bytes(data[-8:], "little") != TABLE_MAGIC:
        raise _Corrupt("magic")
    _, _, pos = _handle(data, limit, len(data) - 8)          # the metaindex block: nothing TF puts there
    index_offset, index_size, _ = _handle(data, pos, len(data) - 8)
    entries = []
    for _, handle in _block_entries(_block(data, index_offset, index_size, limit)):
        offset, size, _ = _handle(handle, 0, len(handle))
        entries.extend(_block_entries(_block(data, offset, size, limit)))
    return entries


# ---------------------------------------------------------------- the reader

_INDEX_CACHE: OrderedDict = OrderedDict()


def _parsed_index(path: Path, shown: str):
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        raise DataError(f"{shown}.index is not there; copy that checkpoint's .index and .data-* files beside "
                        "each other (or drop it from the folder's checkpoint file).") from None
    if key in _INDEX_CACHE:
        _INDEX_CACHE.move_to_end(key)
        return _INDEX_CACHE[key]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{shown}.index could not be read ({exc.strerror}); check the file.") from None
    try:
        table = _read_table(data)
        header, entries = None, {}
        for k, value in table:
            if k == b"":
                fields = list(_fields(value))
                header = {n: v for n, v in fields if isinstance(v, int)}
                version = [v for n, v in fields if n == 3 and isinstance(v, bytes)]
                header["min_consumer"] = max([v for n, v in _fields(version[0]) if n == 2] or [0]) if version else 0
            elif not k.startswith(b"\x00"):          # keys of a partitioned variable's slices begin with 0
                entries[k.decode("utf-8", "surrogateescape")] = _Entry(value)
    except _Corrupt as exc:
        reason = str(exc)
        if reason == "magic":
            raise DataError(f"{shown}.index is not a TensorFlow checkpoint index (its last bytes are not the "
                            "table's magic number); give the prefix of a checkpoint TensorFlow wrote.") from None
        if reason == "snappy" or reason.startswith("compression type"):
            raise DataError(f"{shown}.index is compressed ({reason}), which is not read; TensorFlow writes "
                            "checkpoint indexes uncompressed, so save the checkpoint again with TensorFlow.") from None
        raise DataError(f"{shown}.index is damaged or truncated ({reason}); copy the checkpoint again or save "
                        "it again with TensorFlow.") from None
    if header is None:
        raise DataError(f"{shown}.index has no bundle header, so it is not a TensorFlow checkpoint index; "
                        "copy the checkpoint again.")
    if header["min_consumer"] > BUNDLE_VERSION:
        raise DataError(f"{shown} was written by a newer TensorFlow (bundle version {header['min_consumer']}), "
                        "which this reader does not know; save it with an older TensorFlow or export the tensor.")
    result = (header, entries)
    _INDEX_CACHE[key] = result
    while len(_INDEX_CACHE) > INDEX_CACHE_SIZE:
        _INDEX_CACHE.popitem(last=False)
    return result


class CheckpointReader:
    """The tensors of the TensorFlow checkpoint ``prefix`` (the path without ``.index``, as
    ``tf.train.load_checkpoint`` takes it). The index is read at once; tensors when asked for."""

    def __init__(self, prefix):
        text = os.fspath(prefix).removesuffix(".index")
        self.prefix = Path(text)
        self.shown = self.prefix.name
        index = Path(text + ".index")
        if not index.is_file() and self.prefix.is_file():
            raise DataError(f"{self.shown} is a TensorFlow V1 checkpoint (one file, no .index), which is not read; "
                            "save it again with tf.train.Checkpoint or Saver (V2).")
        header, self._entries = _parsed_index(index, self.shown)
        self.num_shards = header.get(1, 0)
        if self.num_shards < 1:
            raise DataError(f"{self.shown}.index says the checkpoint has {self.num_shards} data shards; "
                            "copy the checkpoint again.")
        self.byteorder = ">" if header.get(2, 0) == 1 else "<"

    def shapes(self) -> dict[str, tuple[tuple, str]]:
        """Every tensor's (shape, dtype name), as ``get_variable_to_shape_map`` and
        ``get_variable_to_dtype_map`` give them (a partitioned variable with its full shape)."""
        return {name: (e.shape, dtype_name(e.dtype)) for name, e in self._entries.items()}

    def shard_path(self, shard: int) -> Path:
        return Path(f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}")

    def tensor(self, name: str, *, convert: bool = True) -> np.ndarray:
        """The tensor ``name``: float32 (a read-only memory map when the checkpoint stores it as
        little-endian float32 in 2-D); float16, bfloat16 and float64 are converted to float32 (with
        ``convert=False`` float16 and float64 stay as stored; bfloat16 is float32 either way, exactly);
        integer, bool and complex tensors come in their own numpy type."""
        entry = self._entries.get(name)
        if entry is None:
            near = [n for n, e in self._entries.items() if len(e.shape) == 2]
            raise DataError(f"{self.shown} has no tensor {name!r}; its 2-D tensors are "
                            f"{', '.join(sorted(near)[:12]) or 'none'}.")
        what = f"{name!r} in {self.shown}"
        kind, code = DTYPES.get(entry.dtype, (dtype_name(entry.dtype), None))
        if entry.slices:
            raise DataError(f"{what} is saved in {entry.slices} slices (a partitioned variable), which is not read; "
                            "save it unpartitioned or export it to .npy.")
        if kind == "string":
            raise DataError(f"{what} holds text (a string tensor), not numbers; it cannot be shown as embeddings.")
        if code is None:
            known = f"the data type {kind}" if entry.dtype in DTYPES else f"an unknown data type (number {entry.dtype})"
            raise DataError(f"{what} has {known}, which is not read; convert the variable to float32 and save "
                            "the checkpoint again.")
        dtype = np.dtype(self.byteorder + code) if code != "?" else np.dtype("?")
        count = math.prod(entry.shape)
        if entry.size != count * dtype.itemsize or entry.offset < 0:
            raise DataError(f"{what} is recorded as {entry.size:,} bytes but its shape {entry.shape} of {kind} "
                            f"needs {count * dtype.itemsize:,}; the index is damaged — copy the checkpoint again.")
        if not 0 <= entry.shard < self.num_shards:
            raise DataError(f"{what} is in data shard {entry.shard}, but the checkpoint has {self.num_shards}; "
                            "the index is damaged — copy the checkpoint again.")
        path = self.shard_path(entry.shard)
        try:
            have = path.stat().st_size
        except OSError:
            raise DataError(f"{path.name} is missing, so {what} cannot be read; copy every data shard "
                            f"({self.shown}.data-*) beside the .index file.") from None
        if have < entry.offset + entry.size:
            raise DataError(f"{path.name} is truncated: {what} needs bytes up to {entry.offset + entry.size:,} "
                            f"but the file has {have:,}; copy the checkpoint again.")
        if count == 0:
            return np.zeros(entry.shape, dtype=np.float32 if kind in ("float16", "bfloat16", "float64") else dtype)
        raw = np.memmap(path, dtype=np.uint8, mode="r", offset=entry.offset, shape=(entry.size,))
        if entry.crc is not None and entry.size <= CRC_CHECK_BYTES and unmask_crc(entry.crc) != crc32c(raw):
            raise DataError(f"{what} does not match its checksum, so {path.name} is damaged; copy the "
                            "checkpoint again.")
        if dtype == np.dtype("<f4") and len(entry.shape) == 2:
            return np.memmap(path, dtype=dtype, mode="r", offset=entry.offset, shape=entry.shape)
        arr = np.array(raw).view(dtype).reshape(entry.shape)
        if kind == "bfloat16":           # the upper half of a float32
            return (arr.astype(np.uint32) << 16).view(np.float32)
        if kind in ("float16", "float64") and convert:
            with np.errstate(over="ignore"):
                return arr.astype(np.float32)
        return arr.astype(arr.dtype.newbyteorder("=")) if arr.dtype.byteorder == ">" else arr


# ---------------------------------------------------------------- the `checkpoint` file

def step_of(prefix) -> int | None:
    """The global step at the end of a checkpoint prefix (``model.ckpt-600`` → 600)."""
    m = STEP.search(Path(prefix).name)
    return int(m.group(1)) if m else None


def _is_index(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(-8, os.SEEK_END)
            return int.from_bytes(f.read(8), "little") == TABLE_MAGIC
    except OSError:
        return False


def _resolve(folder: Path, text: str) -> Path:
    path = Path(text)
    if not path.is_absolute():
        return folder / path
    if not Path(text + ".index").exists() and (folder / (path.name + ".index")).exists():
        return folder / path.name     # written elsewhere (TF1 Savers record absolute paths), then moved here
    return path


def _state(folder: Path):
    """(latest prefix, listed prefixes) from ``folder/checkpoint``, or None when there is none."""
    state = folder / "checkpoint"
    if not state.is_file():
        return None
    try:
        text = state.read_bytes().decode("utf-8")
        fields = formats.parse_pbtxt(text, "checkpoint")
    except (UnicodeDecodeError, DataError, OSError):
        raise DataError(f"the checkpoint file in {folder.name or folder} is not a checkpoint state (TensorFlow "
                        "writes lines like model_checkpoint_path: \"model.ckpt-100\"); delete or fix it.") from None
    latest = [v for v in fields.get("model_checkpoint_path", []) if isinstance(v, str) and v]
    if not latest:
        raise DataError(f"the checkpoint file in {folder.name or folder} names no model_checkpoint_path; "
                        "delete or fix it.")
    listed = [_resolve(folder, v) for v in fields.get("all_model_checkpoint_paths", []) if isinstance(v, str) and v]
    return _resolve(folder, latest[-1]), listed


def checkpoints_on_disk(folder) -> list[Path]:
    """Prefixes of the checkpoint indexes in ``folder``, oldest step (then oldest file) first."""
    found = []
    try:
        for index in Path(folder).glob("*.index"):
            if _is_index(index):
                step = step_of(index.with_suffix(""))
                found.append(((-1 if step is None else step), index.stat().st_mtime_ns, index.name, index.with_suffix("")))
    except OSError:           # deleted while listed (a Saver removing an old checkpoint): the next look sees it
        pass
    return [p for *_, p in sorted(found)]


def latest_checkpoint(folder) -> Path | None:
    """The prefix ``tf.train.latest_checkpoint(folder)`` gives (the ``checkpoint`` file's
    ``model_checkpoint_path``, relative to the folder), or the newest ``*.index`` when there is no
    ``checkpoint`` file; None when the folder holds no checkpoint. A ``checkpoint`` file naming a
    prefix that is not there is a :class:`DataError` (TensorFlow logs it and returns None)."""
    folder = Path(folder)
    state = _state(folder)
    if state is None:
        found = checkpoints_on_disk(folder)
        return found[-1] if found else None
    latest = state[0]
    if not Path(f"{latest}.index").is_file():
        raise DataError(f"the checkpoint file in {folder.name or folder} names {latest.name}, but "
                        f"{latest.name}.index is not there; copy that checkpoint or delete the checkpoint file.")
    return latest


def all_checkpoints(folder) -> list[Path]:
    """Every checkpoint of ``folder``, oldest step first: those the ``checkpoint`` file lists
    (``all_model_checkpoint_paths`` and ``model_checkpoint_path``; a listed one may be missing, and its
    reader then says so) and the older saves of the same name beside them (``tf.train.Checkpoint.save``
    lists only its newest); every ``*.index`` when there is no ``checkpoint`` file."""
    folder = Path(folder)
    state = _state(folder)
    if state is None:
        return checkpoints_on_disk(folder)
    latest, listed = state
    found = list(dict.fromkeys(listed + [latest]))
    stem = STEP.sub("", latest.name)
    if step_of(latest) is not None:
        for p in checkpoints_on_disk(latest.parent):
            if STEP.sub("", p.name) == stem and step_of(p) is not None and p not in found:
                found.append(p)
    order = {p: i for i, p in enumerate(found)}
    return sorted(found, key=lambda p: (step_of(p) if step_of(p) is not None else -1, order[p]))

