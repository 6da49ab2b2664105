"""Embeddings in today's file formats: Parquet and Arrow (a vector column beside the metadata columns, as
Embedding Atlas takes them) and safetensors (a named 2-D tensor).

Both are read without copying where the format allows: a float32 safetensors tensor is memory-mapped; a
Parquet/Arrow vector column is read once into one float32 array. Bad files get one sentence.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

PARQUET_MAGIC = b"PAR1"
ARROW_MAGIC = b"ARROW1"
SAFETENSORS_HEADER_MAX = 100 * 2**20   # the JSON header's size limit (the reference implementation's)
SAFETENSORS_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2"),
                      "BF16": None, "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
                      "I8": np.dtype("i1"), "U8": np.dtype("u1")}


def is_columnar(path: Path, head: bytes) -> bool:
    return head.startswith(PARQUET_MAGIC) or head.startswith(ARROW_MAGIC) or \
        path.suffix.lower() in (".parquet", ".arrow", ".feather", ".ipc")


def read_columnar(path: Path, column: str | None, shown: str) -> tuple[np.ndarray, pd.DataFrame]:
    """(vectors N×D, metadata frame of the other columns) from a Parquet or Arrow/Feather file.

    ``column`` names the vector column; without it, the one column of lists of numbers is taken.
    """
    import pyarrow as pa

    try:
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(PARQUET_MAGIC) or path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            import pyarrow.feather as feather

            table = feather.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{shown} cannot be read as Parquet or Arrow ({_first_line(exc)}); "
                        "write it again with pandas.to_parquet or pyarrow.") from None
    vector_columns = [f.name for f in table.schema if _is_vector_type(f.type)]
    if column is None:
        if len(vector_columns) != 1:
            found = ", ".join(vector_columns) if vector_columns else "none"
            raise DataError(f"{shown} must name its vector column (a column of lists of numbers; found: {found}); "
                            "name it in the upload card's vector column field, with --vector-column, or as file.parquet:column.")
        column = vector_columns[0]
    if column not in table.column_names:
        raise DataError(f"{shown} has no column {column!r}; its columns are {', '.join(table.column_names)}.")
    if column not in vector_columns:
        raise DataError(f"{shown}'s column {column!r} does not hold lists of numbers; "
                        f"vector columns: {', '.join(vector_columns) or 'none'}.")
    vectors = _vectors_of(table.column(column), shown, column)
    rest = table.drop_columns([column])
    frame = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name in rest.column_names:
        frame[str(name)] = _metadata_column(rest.column(name))
    return vectors, frame


def _is_vector_type(t) -> bool:
    import pyarrow as pa

    if pa.types.is_fixed_size_list(t) or pa.types.is_list(t) or pa.types.is_large_list(t):
        v = t.value_type
        return pa.types.is_floating(v) or pa.types.is_integer(v)
    return False


def _vectors_of(chunked, shown: str, column: str) -> np.ndarray:
    import pyarrow as pa

    n = len(chunked)
    if n == 0:
        raise DataError(f"{shown} has no rows; it holds no embeddings.")
    arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if arr.null_count:
        raise DataError(f"{shown}'s column {column!r} has {arr.null_count:,} empty rows; every point needs a vector.")
    if pa.types.is_fixed_size_list(arr.type):
        d = arr.type.list_size
        values = arr.flatten()
    else:
        offsets = np.asarray(arr.offsets)
        lengths = np.diff(offsets)
        if lengths.min() != lengths.max():
            i = int(np.flatnonzero(lengths != lengths[0])[0])
            raise DataError(f"{shown}'s vectors do not all have the same length: row 0 has {lengths[0]}, row {i} has "
                            f"{lengths[i]}; every embedding needs the same dimension.")
        d = int(lengths[0])
        values = arr.flatten()
    if values.null_count:
        raise DataError(f"{shown}'s column {column!r} holds empty values inside vectors; every value must be a number.")
    flat = values.to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(flat.reshape(n, d), dtype=np.float32)


def _metadata_column(chunked):
    import pyarrow as pa

    t = chunked.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        values = chunked.to_numpy(zero_copy_only=False).astype(np.float64)
        return pd.array(values, dtype="float64")
    texts = []
    for v in chunked.to_pylist():
        if v is None:
            texts.append(None)
        else:
            text = v if isinstance(v, str) else json.dumps(v, default=str) if isinstance(v, (list, dict)) else str(v)
            texts.append(" ".join(text.split("\t")).replace("\r", " ").replace("\n", " ") or None)
    return pd.array(texts, dtype=object)


# ---------------------------------------------------------------- safetensors

def is_safetensors(path: Path, head: bytes) -> bool:
    if path.suffix.lower() == ".safetensors":
        return True
    if len(head) < 8:
        return False
    (size,) = struct.unpack("<Q", head[:8])
    return 2 <= size <= SAFETENSORS_HEADER_MAX and path.stat().st_size >= 8 + size and _peek(path) == b"{"


def _peek(path: Path) -> bytes:
    with open(path, "rb") as f:
        f.seek(8)
        return f.read(1)


def safetensors_header(path: Path, shown: str) -> tuple[dict, int]:
    """(the tensors' table {name: {"dtype", "shape", "data_offsets"}}, where the data begins)."""
    size_total = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise DataError(f"{shown} is too short to be a safetensors file.")
        (size,) = struct.unpack("<Q", raw)
        if not 2 <= size <= min(SAFETENSORS_HEADER_MAX, size_total - 8):
            raise DataError(f"{shown} is not a safetensors file (its header size is wrong); save it with "
                            "safetensors' save_file.")
        try:
            header = json.loads(f.read(size).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DataError(f"{shown}'s safetensors header is not valid JSON; the file is damaged.") from None
    if not isinstance(header, dict):
        raise DataError(f"{shown}'s safetensors header is not a table of tensors; the file is damaged.")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    for name, t in tensors.items():
        ok = (isinstance(t, dict) and t.get("dtype") in SAFETENSORS_DTYPES and isinstance(t.get("shape"), list)
              and all(type(s) is int and s >= 0 for s in t["shape"]) and isinstance(t.get("data_offsets"), list)
              and len(t["data_offsets"]) == 2 and all(type(o) is int and o >= 0 for o in t["data_offsets"]))
        if not ok:
            raise DataError(f"{shown}'s tensor {name!r} is described wrongly in its header (or has a dtype this app "
                            "does not read); the file is damaged or unusual.")
        begin, end = t["data_offsets"]
        itemsize = 2 if t["dtype"] == "BF16" else SAFETENSORS_DTYPES[t["dtype"]].itemsize
        if end < begin or end - begin != int(np.prod(t["shape"], dtype=np.int64)) * itemsize \
                or 8 + size + end > size_total:
            raise DataError(f"{shown}'s tensor {name!r} does not fit the file (it is truncated or damaged); "
                            "download or save it again.")
    return tensors, 8 + size


def read_safetensors(path: Path, name: str | None, shown: str) -> np.ndarray:
    """The 2-D tensor ``name`` (or the only 2-D tensor) as float32: memory-mapped when it is float32."""
    tensors, start = safetensors_header(path, shown)
    matrices = sorted(k for k, t in tensors.items() if len(t["shape"]) == 2)
    if name is None:
        if len(matrices) != 1:
            listed = ", ".join(matrices[:12]) + (" …" if len(matrices) > 12 else "") if matrices else "none"
            raise DataError(f"{shown} holds {len(matrices)} 2-D tensors ({listed}); name the one to show "
                            "in the upload card's tensor field, with --vector-column, or as file.safetensors:name.")
        name = matrices[0]
    if name not in tensors:
        raise DataError(f"{shown} has no tensor {name!r}; its 2-D tensors are {', '.join(matrices) or 'none'}.")
    t = tensors[name]
    if len(t["shape"]) != 2:
        raise DataError(f"{shown}'s tensor {name!r} has shape {tuple(t['shape'])}; embeddings need a 2-D "
                        "tensor (points × dimensions).")
    n, d = t["shape"]
    begin = start + t["data_offsets"][0]
    if t["dtype"] == "BF16":   # the upper half of a float32
        raw = np.memmap(path, dtype="<u2", mode="r", offset=begin, shape=(n, d))
        return (raw.astype(np.uint32) << 16).view(np.float32)
    dtype = SAFETENSORS_DTYPES[t["dtype"]]
    arr = np.memmap(path, dtype=dtype, mode="r", offset=begin, shape=(n, d)) if n * d else np.empty((n, d), dtype)
    return arr if dtype == np.dtype("<f4") else np.asarray(arr, dtype=np.float32)


def _first_line(exc) -> str:
    return str(exc).strip().split("\n")[0][:160]
