"""Readers for the files a user brings: vectors (.npy, .npz, tensor .tsv, raw .bytes),
metadata .tsv and TensorBoard projector configs (JSON and pbtxt).

Every reader raises :class:`DataError` with one sentence for a person when the input is bad.
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"       # a zip with no members: numpy.savez() with no arrays
NPZ_MAX_BYTES = 4 * 10**9            # an .npz array is read whole into memory (an .npy is memory-mapped)
FINITE_CHECK_ROWS = 65_536  # rows per chunk when scanning memory-mapped vectors for NaN/Inf

# What JavaScript's Number() accepts as a decimal number; TensorBoard decides "numeric" with it.
_NUMBER_RE = re.compile(r"^\s*[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Infinity)\s*$")


def is_number(text: str) -> bool:
    """True when ``text`` reads as a number the way the anchor's metadata parser reads it."""
    return bool(_NUMBER_RE.match(text))


# ---------------------------------------------------------------- vectors

def read_vectors(source, *, shape=None, name: str | None = None, column: str | None = None):
    """Read an N×D float array from a path or array.

    Returns ``(vectors, labels)``: ``vectors`` is float32 (a read-only memory map for float32
    ``.npy`` and safetensors), ``labels`` the leading label column of a tensor TSV, the metadata columns
    of a Parquet/Arrow file (a DataFrame), or ``None``. ``column``: a Parquet/Arrow file's vector column
    or a safetensors tensor's name (also given as ``file.parquet:column``, ``file.safetensors:name``).
    """
    if isinstance(source, np.ndarray):
        return validate_vectors(source, name or "the array"), None
    text = os.fspath(source)
    path, key = _split_npz_key(text)
    shown = name or path.name
    if not path.exists():
        raise DataError(f"{shown} was not found; check the path.")
    if path.is_dir():
        raise DataError(f"{shown} is a folder, not a file; give the path of the embeddings file.")
    if path.stat().st_size == 0:
        raise DataError(f"{shown} is empty; upload the file again.")
    suffix = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(8)
    if suffix == ".bytes":
        return _read_bytes(path, shape, shown), None
    from . import columnar

    if columnar.is_columnar(path, head):
        vectors, frame = columnar.read_columnar(path, column or key, shown)
        return validate_vectors(vectors, shown), frame
    if columnar.is_safetensors(path, head):
        return validate_vectors(columnar.read_safetensors(path, column or key, shown), shown), None
    if head.startswith(NPY_MAGIC):
        return _read_npy(path, shown), None
    if head.startswith(EMPTY_ZIP_MAGIC):
        raise DataError(f"{shown} holds no arrays; save the embeddings into it with numpy.savez.")
    if head.startswith(ZIP_MAGIC) and suffix != ".npz":
        raise DataError(f"{shown} is a zip archive but not an .npz (a spreadsheet or other document?); "
                        "save the embeddings with numpy.save or numpy.savez.")
    if head.startswith(ZIP_MAGIC):
        return _read_npz(path, key, shown), None
    if suffix in (".npy", ".npz"):
        raise DataError(f"{shown} is not a NumPy {suffix} file (its first bytes are wrong); "
                        "save it with numpy.save or numpy.savez.")
    if suffix in (".tsv", ".txt", ".csv", "") or _looks_like_text(head):
        return _read_tensor_tsv(path, shown)
    raise DataError(f"{shown} is not a format this app reads; use .npy, .npz, tensor .tsv, .bytes, Parquet, "
                    "Arrow or safetensors.")


def _split_npz_key(text: str):
    m = re.match(r"^(.*\.(?:npz|parquet|arrow|feather|safetensors)):([^/\\]+)$", text, flags=re.IGNORECASE)
    if m and not Path(text).exists():
        return Path(m.group(1)), m.group(2)
    return Path(text), None


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_npy(path: Path, shown: str) -> np.ndarray:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        msg = str(exc)
        if "allow_pickle" in msg or "object" in msg.lower():
            raise DataError(f"{shown} holds Python objects (a pickled array), which this app never "
                            "loads; save a numeric array with numpy.save(arr.astype('float32')).") from None
        if "mmap length" in msg or "cannot reshape" in msg or "smaller" in msg:
            raise DataError(f"{shown} is truncated: it holds fewer bytes than its header promises; "
                            "upload the complete file.") from None
        raise DataError(f"{shown} could not be read as a .npy file ({msg}); save it with numpy.save.") from None
    except (EOFError, OSError):
        raise DataError(f"{shown} is truncated or damaged; upload the complete file.") from None
    return validate_vectors(arr, shown)


def _read_npz(path: Path, key: str | None, shown: str) -> np.ndarray:
    try:
        npz = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        raise DataError(f"{shown} is not a readable .npz archive; save it with numpy.savez.") from None
    with npz:
        keys = list(npz.files)
        if not keys:
            raise DataError(f"{shown} holds no arrays; save the embeddings into it with numpy.savez.")
        if key is None:
            if len(keys) > 1:
                raise DataError(f"{shown} holds several arrays ({', '.join(keys)}); "
                                f"say which one to use, e.g. {shown}:{keys[0]}.")
            key = keys[0]
        if key not in keys:
            raise DataError(f"{shown} has no array named {key!r}; it has {', '.join(keys)}.")
        expands = _npz_member_bytes(path, key)
        if expands > NPZ_MAX_BYTES:
            raise DataError(f"{shown}:{key} expands to {expands / 1e9:,.1f} GB in memory, more than the "
                            f"{NPZ_MAX_BYTES / 1e9:,.0f} GB an .npz may hold here; save it uncompressed with "
                            "numpy.save (an .npy is read without loading it whole).")
        try:
            arr = npz[key]
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise DataError(f"{shown}:{key} holds Python objects (a pickled array), which this "
                                "app never loads; save a numeric array.") from None
            raise DataError(f"{shown}:{key} could not be read ({exc}).") from None
        except (zipfile.BadZipFile, EOFError, OSError):
            raise DataError(f"{shown} is truncated or damaged; upload the complete file.") from None
    return validate_vectors(arr, f"{shown}:{key}")


def _npz_member_bytes(path: Path, key: str) -> int:
    """What one array of an .npz takes once read, from its own header: nothing is inflated to learn
    it, so a small archive that expands to gigabytes (a zip bomb) is refused before it is read."""
    try:
        with zipfile.ZipFile(path) as z, z.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            shape, _, dtype = read.get(version, np.lib.format.read_array_header_2_0)(member)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, EOFError):
        return 0   # reading it proper gives the right message
    return int(np.prod(shape, dtype=np.float64) * dtype.itemsize) if dtype.itemsize else 0


def _read_bytes(path: Path, shape, shown: str) -> np.ndarray:
    if shape is None or len(shape) != 2 or not shape[1]:
        raise DataError(f"{shown} is raw float32 bytes with no shape; give its dimension D "
                        "(shape=(N, D) or (None, D)).")
    n_expected, dim = shape[0], int(shape[1])
    if dim < 2:
        raise DataError(f"the dimension of {shown} must be at least 2, not {dim}.")
    size = path.stat().st_size
    if size % (4 * dim):
        raise DataError(f"{shown} has {size:,} bytes, which is not a multiple of 4×{dim} "
                        f"(float32 rows of dimension {dim}); check the dimension or the file.")
    n = size // (4 * dim)
    if n_expected is not None and int(n_expected) != n:
        raise DataError(f"{shown} holds {n:,} rows of dimension {dim}, but the shape says "
                        f"{int(n_expected):,}; check the shape or the file.")
    arr = np.memmap(path, dtype="<f4", mode="r", shape=(n, dim))
    return validate_vectors(arr, shown)


def _read_tensor_tsv(path: Path, shown: str):
    raw = path.read_bytes()
    text = _decode_utf8(raw, shown)
    rows: list[np.ndarray] = []
    labels: list[str] = []
    has_labels = None
    dim = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        fields = line.split("\t")
        # The first line decides: a non-numeric first field is a label, on that line and on every other.
        if has_labels is None:
            has_labels = not is_number(fields[0])
        if has_labels:
            label, fields = fields[0], fields[1:]
        else:
            label = None
        try:
            vec = np.array(fields, dtype=np.float64)
        except ValueError:
            bad = next(f for f in fields if not _is_float(f))
            raise DataError(f"{shown}, line {lineno}: {bad[:40]!r} is not a number; "
                            "a tensor TSV holds one vector per line, values separated by tabs.") from None
        if dim is None:
            dim = len(vec)
            if dim <= 1:
                raise DataError(f"{shown}, line {lineno}: a vector has only {dim} dimension; "
                                "vectors need at least 2 (values separated by tabs).")
        elif len(vec) != dim:
            raise DataError(f"{shown}, line {lineno}: the vector has {len(vec)} dimensions but earlier "
                            f"lines have {dim}; every line must have the same number of values.")
        rows.append(vec)
        labels.append(label if label is not None else "")
    if not rows:
        raise DataError(f"{shown} holds no vectors; it is empty or blank.")
    arr = validate_vectors(np.vstack(rows), shown)
    return arr, (labels if has_labels else None)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def validate_vectors(arr, shown: str) -> np.ndarray:
    """Check an array is a finite numeric N×D matrix (N ≥ 2, D ≥ 2) and return it as float32."""
    arr = np.asarray(arr) if not isinstance(arr, np.ndarray) else arr
    kind = arr.dtype.kind
    if kind == "O":
        raise DataError(f"{shown} holds Python objects, not numbers; save a numeric float32 array.")
    if kind in "USa":
        raise DataError(f"{shown} holds text, not numbers; save the embeddings as a float32 array.")
    if kind == "c":
        raise DataError(f"{shown} holds complex numbers; save real float32 embeddings.")
    if kind not in "fiub":
        raise DataError(f"{shown} has the data type {arr.dtype}, which is not numeric; save float32.")
    if arr.ndim != 2:
        hint = " — reshape it to (N, D)" if arr.ndim in (1, 3) else ""
        raise DataError(f"{shown} is {arr.ndim}-D with shape {tuple(arr.shape)}; embeddings must be a "
                        f"2-D array of N points × D dimensions{hint}.")
    n, d = arr.shape
    if n < 2:
        raise DataError(f"{shown} holds {n} point{'s' if n != 1 else ''}; a projection needs at least 2.")
    if d < 2:
        raise DataError(f"{shown} has {d} dimension{'s' if d != 1 else ''} per point; "
                        "embeddings need at least 2.")
    if kind == "f":
        _check_finite(arr, shown)
    if arr.dtype == np.float32:
        if isinstance(arr, np.memmap) or not arr.flags.writeable:
            return arr
        arr = np.ascontiguousarray(arr).view()  # a view: the caller's own array stays writeable
    else:
        with np.errstate(over="ignore"):
            arr = arr.astype(np.float32)
        if kind == "f":
            _check_finite(arr, shown)  # float64 values beyond float32's range become Inf
    arr.flags.writeable = False
    return arr


def _check_finite(arr: np.ndarray, shown: str) -> None:
    for start in range(0, arr.shape[0], FINITE_CHECK_ROWS):
        block = np.asarray(arr[start:start + FINITE_CHECK_ROWS])
        ok = np.isfinite(block).all(axis=1)
        if not ok.all():
            row = start + int(np.flatnonzero(~ok)[0])
            bad = block[row - start][~np.isfinite(block[row - start])][0]
            what = "NaN" if np.isnan(bad) else "an infinite value"
            raise DataError(f"{shown} has {what} in row {row} (0-based); every vector must be "
                            "finite — fix or drop that row and upload again.")


# ---------------------------------------------------------------- metadata

@dataclass
class MetadataTable:
    """Parsed metadata: one row per point, whether the file had a header row, and how it was read."""
    frame: pd.DataFrame
    has_header: bool
    note: str | None = None   # e.g. that a .tsv without tabs was read as comma-separated
    with_spaces: "MetadataTable | None" = None   # the same file with whitespace-only lines kept as rows


# What JavaScript's String.trim() removes: TensorBoard skips a metadata line that is nothing else. Python's
# str.strip() also removes U+001C–U+001F and U+0085 (and keeps U+FEFF): a line of those is a row here too.
JS_WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                 "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def is_blank(line: str) -> bool:
    """Whether TensorBoard's projector skips this metadata line (``line.trim().length === 0``)."""
    return not line.strip(JS_WHITESPACE)


def _decode_utf8(raw: bytes, shown: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{shown} is UTF-16 text; save it as UTF-8 and upload again.")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{shown} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position "
                        f"{exc.start:,}); save it as UTF-8 and upload again.") from None
    if text.count("\x00") > max(8, len(text) // 100):   # a few NULs are characters of labels; many, a binary file
        raise DataError(f"{shown} is a binary file, not tab-separated text.")
    # Lines end at \n (a \r before it is part of the ending); a lone \r is a character of its label, as in
    # TensorBoard — unless the file has no \n at all (old Mac line endings).
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n") if "\n" not in text else text


def _csv_rows(text: str) -> list[list[str]] | None:
    """The rows of comma-separated text (quotes as spreadsheets write them), or None when the lines do
    not all have the same number of fields (then commas are just part of single-column labels)."""
    import csv
    import io

    try:
        rows = [r for r in csv.reader(io.StringIO(text), strict=True) if r]   # only empty lines are skipped
    except csv.Error:
        return None
    widths = {len(r) for r in rows}
    return rows if rows and len(widths) == 1 and widths.pop() >= 2 else None


def read_metadata_tsv(source, *, name: str | None = None) -> MetadataTable:
    """Parse a metadata file the way TensorBoard's projector parses its TSV.

    A header row iff the first non-blank line has a tab; a single-column file has no header and
    its column is called ``label``; fields split on tabs only and kept verbatim; an empty cell is
    missing; a column whose present values all read as numbers becomes float64.

    Comma-separated metadata is read as CSV (quoted fields as spreadsheets write them; a header row
    when it has several columns): a ``.csv`` file, or a ``.tsv`` that has no tab but the same number
    of commas on every line — the table then notes how it was read.
    """
    if isinstance(source, (bytes, bytearray)):
        raw, shown = bytes(source), name or "the metadata"
    else:
        path = Path(source)
        shown = name or path.name
        if not path.is_file():
            raise DataError(f"{shown} was not found; check the path.")
        raw = path.read_bytes()
    text = _decode_utf8(raw, shown)
    if not text.strip():
        raise DataError(f"{shown} is empty; it needs one line per point.")
    is_csv = shown.lower().endswith(".csv")
    if is_csv or ("\t" not in text and "," in text):
        rows = _csv_rows(text)
        if rows is not None:
            note = None if is_csv else (f"{shown} has no tabs but {len(rows[0])} comma-separated columns on every "
                                        "line, so it was read as CSV (a header row names the columns).")
            return _table(_unique_names(rows[0]), rows[1:], True, note)
        if is_csv and "\t" not in text:
            lines = [line for line in text.split("\n") if not is_blank(line)]
            if all("," not in line for line in lines):
                return _table(["label"], [[line] for line in lines], False, None)
            raise DataError(f"{shown} is not valid comma-separated text (its lines do not all have the same "
                            "number of fields, or a quote is not closed); fix it, or save it as a .tsv.")
    all_lines = text.split("\n")
    while all_lines and all_lines[-1] == "":
        all_lines.pop()
    lines = [line for line in all_lines if not is_blank(line)]
    if not lines:
        raise DataError(f"{shown} holds only blank lines; it needs one line per point.")
    has_header = "\t" in lines[0]

    def table_of(rows: list[str]) -> MetadataTable:
        if has_header:
            return _table(_unique_names(rows[0].split("\t")), [r.split("\t") for r in rows[1:]], True, None)
        return _table(["label"], [[r] for r in rows], False, None)

    table = table_of(lines)
    # A line of spaces may be a label (a whitespace token of a vocabulary). TensorBoard skips it; when the
    # row count then disagrees with the vectors, the rows kept *with* such lines are offered instead.
    start = all_lines.index(lines[0])
    with_spaces = all_lines[start:]
    if len(with_spaces) != len(lines):
        table.with_spaces = table_of(with_spaces)
    return table


def _table(names: list[str], body: list[list[str]], has_header: bool, note: str | None) -> MetadataTable:
    """Columns from rows of fields: an empty cell is missing; all-number columns become float64."""
    columns: list[list] = [[] for _ in names]
    for fields in body:
        for j, col in enumerate(columns):
            value = fields[j] if j < len(fields) else ""
            col.append(value if value != "" else None)
    data = {}
    for col_name, values in zip(names, columns):
        present = [v for v in values if v is not None]
        if present and all(is_number(v) for v in present):
            data[col_name] = pd.array([float(v.strip().replace("Infinity", "inf")) if v is not None
                                       else np.nan for v in values], dtype="float64")
        else:
            data[col_name] = pd.array(values, dtype=object)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(body)), columns=names)
    return MetadataTable(frame=frame, has_header=has_header, note=note)


def _unique_names(raw_names: list[str]) -> list[str]:
    """Column names, each distinct: an empty one is "column j", a repeated one gets " (2)", " (3)"… —
    never a name the header already has or one made before."""
    wanted = [n.strip() or f"column {j + 1}" for j, n in enumerate(raw_names)]
    real = {n.strip() for n in raw_names if n.strip()}
    taken, names = set(), []
    for raw, n in zip(raw_names, wanted):
        name, k = n, 1
        while name in taken or (name != n and name in wanted) or (not raw.strip() and name in real):
            k += 1
            name = f"{n} ({k})"
        taken.add(name)
        names.append(name)
    return names


_BREAKS = re.compile(r"[\t\r\n]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPE = re.compile(r"\\(.)")


def metadata_needs_escapes(frame: pd.DataFrame) -> bool:
    """Does a value or column name hold a tab or a line break (which a TSV field cannot)?"""
    names = "".join(map(str, frame.columns))
    return bool(_BREAKS.search(names)) or any(_BREAKS.search("".join(column_as_text(frame[c]))) for c in frame.columns)


def write_metadata_tsv(frame: pd.DataFrame, escaped: bool | None = None) -> bytes:
    """Serialise metadata as a TSV with a header row (values verbatim, missing as empty).

    When a value holds a tab or a line break (possible from a CSV file or a DataFrame, never from a
    TSV), every value is written with backslash escapes (``\\t``, ``\\n``, ``\\r``, ``\\\\``) so
    nothing is lost; :func:`read_escaped_field` reverses them. Otherwise the file is TensorBoard's TSV.
    """
    escaped = metadata_needs_escapes(frame) if escaped is None else escaped
    put = escape_field if escaped else (lambda t: t)
    out = ["\t".join(put(str(c)) for c in frame.columns)]
    cols = [list(map(put, column_as_text(frame[c]))) if escaped else column_as_text(frame[c]) for c in frame.columns]
    out.extend(map("\t".join, zip(*cols)))
    return ("\n".join(out) + "\n").encode("utf-8")


def escape_field(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text) if ("\\" in text or _BREAKS.search(text)) else text


def read_escaped_field(text: str) -> str:
    return _UNESCAPE.sub(lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text) \
        if "\\" in text else text


def column_as_text(series: pd.Series) -> list[str]:
    """A column's values as the text a user typed (numbers without a trailing .0; missing → '')."""
    if pd.api.types.is_float_dtype(series.dtype):
        return ["" if np.isnan(v) else (str(int(v)) if float(v).is_integer() and abs(v) < 1e15
                                         else repr(float(v))) for v in series.to_numpy()]
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in series]


# ---------------------------------------------------------------- projector config

@dataclass
class EmbeddingSpec:
    """One embedding of a projector config, with paths resolved inside the config's folder."""
    name: str
    tensor_path: Path | None   # None: the tensor lives in a checkpoint (read_projector_config(skip_checkpoints=True))
    shape: tuple | None = None
    metadata_path: Path | None = None
    sprite_path: Path | None = None
    sprite_dim: tuple | None = None
    bookmarks_path: Path | None = None
    extra: dict = field(default_factory=dict)


def read_projector_config(path, *, skip_checkpoints: bool = False) -> list[EmbeddingSpec]:
    """Read a TensorBoard projector config (``.json`` or ``projector_config.pbtxt``). An entry without a
    tensor path (its tensor lives in a checkpoint) is an error, or, with ``skip_checkpoints``, a spec whose
    ``tensor_path`` is None."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path.name} was not found; check the path of the projector config.")
    text = _decode_utf8(path.read_bytes(), path.name)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path.name} is not valid JSON (line {exc.lineno}); fix the config.") from None
        embeddings = config.get("embeddings") if isinstance(config, dict) else None
        items = [_spec_from_json(e) for e in embeddings or []]
    else:
        items = [_spec_from_pbtxt(e) for e in parse_pbtxt(text, path.name).get("embeddings", [])]
    if not items:
        raise DataError(f"{path.name} lists no embeddings; it needs an 'embeddings' entry.")
    root = path.resolve().parent
    specs = []
    for i, item in enumerate(items):
        name = item.get("name") or f"embedding {i + 1}"
        if not item.get("tensor_path"):
            if skip_checkpoints:
                specs.append(EmbeddingSpec(name=name, tensor_path=None))
                continue
            raise DataError(f"{name} in {path.name} has no tensor path; tensors inside checkpoints are "
                            "not read — export the tensor to .npy, .tsv or .bytes and name it.")
        specs.append(EmbeddingSpec(
            name=name,
            tensor_path=_inside(root, item["tensor_path"], path.name),
            shape=tuple(item["shape"]) if item.get("shape") else None,
            metadata_path=_inside(root, item["metadata_path"], path.name) if item.get("metadata_path") else None,
            sprite_path=_inside(root, item["sprite_path"], path.name) if item.get("sprite_path") else None,
            sprite_dim=tuple(item["sprite_dim"]) if item.get("sprite_dim") else None,
            bookmarks_path=_inside(root, item["bookmarks_path"], path.name) if item.get("bookmarks_path") else None,
        ))
    return specs


def _inside(root: Path, rel: str, shown: str) -> Path:
    target = (root / rel).resolve()  # resolve() follows symlinks, so a link out is caught too
    if target != root and root not in target.parents:
        raise DataError(f"{shown} names {rel!r}, which lies outside the config's folder; "
                        "keep every file of a projector config inside its folder.")
    return target


def _spec_from_json(e) -> dict:
    if not isinstance(e, dict):
        return {}
    sprite = e.get("sprite") or {}
    return {"name": e.get("tensorName"), "tensor_path": e.get("tensorPath"),
            "shape": e.get("tensorShape"), "metadata_path": e.get("metadataPath"),
            "sprite_path": sprite.get("imagePath"), "sprite_dim": sprite.get("singleImageDim"),
            "bookmarks_path": e.get("bookmarksPath")}


def _spec_from_pbtxt(e: dict) -> dict:
    sprite = (e.get("sprite") or [{}])[0]
    first = lambda d, k: (d.get(k) or [None])[0]  # noqa: E731 - pbtxt fields are lists
    shape = e.get("tensor_shape")
    return {"name": first(e, "tensor_name"), "tensor_path": first(e, "tensor_path"),
            "shape": [int(v) for v in shape] if shape else None,
            "metadata_path": first(e, "metadata_path"), "sprite_path": first(sprite, "image_path"),
            "sprite_dim": [int(v) for v in sprite.get("single_image_dim", [])] or None,
            "bookmarks_path": first(e, "bookmarks_path")}


_PBTXT_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|([{}:;,<>\[\]])|([^\s{}:;,<>\[\]"\']+))')


_PBTXT_ESCAPE = re.compile(r'\\(?:([0-7]{1,3})|[xX]([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))', re.S)
_PBTXT_SIMPLE = {"n": b"\n", "t": b"\t", "r": b"\r", "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v",
                 "\\": b"\\", "'": b"'", '"': b'"', "?": b"?"}


def _pbtxt_string(body: str, shown: str) -> str:
    """A quoted protobuf text string's value: its text as UTF-8 with the escapes protobuf writes — octal and
    hex escapes are bytes (of UTF-8), \\u and \\U are characters — decoded as UTF-8."""
    out, pos = bytearray(), 0
    for m in _PBTXT_ESCAPE.finditer(body):
        out += body[pos:m.start()].encode("utf-8")
        octal, hexa, u4, u8, simple = m.groups()
        if octal or hexa:
            out.append(int(octal, 8) & 0xFF if octal else int(hexa, 16))
        elif u4 or u8:
            try:
                out += chr(int(u4 or u8, 16)).encode("utf-8")
            except (ValueError, UnicodeEncodeError):
                raise DataError(f"{shown} has a \\u escape that is not a character; fix the config.") from None
        else:
            out += _PBTXT_SIMPLE.get(simple, b"\\" + simple.encode("utf-8"))
        pos = m.end()
    out += body[pos:].encode("utf-8")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{shown} has a quoted text that is not UTF-8 once its escapes are read; fix the config.") from None


def parse_pbtxt(text: str, shown: str = "the config") -> dict:
    """Parse protobuf text format into nested dicts whose values are lists (fields repeat)."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _PBTXT_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip():
                raise DataError(f"{shown} is not valid protobuf text near position {pos}; fix the config.")
            break
        pos = m.end()
        comment, string, punct, word = m.groups()
        if string is not None:
            tokens.append(("str", _pbtxt_string(string[1:-1], shown)))
        elif punct is not None:
            tokens.append(("p", punct))
        elif word is not None:
            tokens.append(("w", word))

    def parse_block(i: int, closing: str | None):
        out: dict = {}
        while i < len(tokens):
            kind, val = tokens[i]
            if kind == "p" and val == closing:
                return out, i + 1
            if kind != "w":
                raise DataError(f"{shown} is not valid protobuf text near {val!r}; fix the config.")
            key = val
            i += 1
            if i < len(tokens) and tokens[i] == ("p", ":"):
                i += 1
            if i >= len(tokens):
                raise DataError(f"{shown} ends in the middle of field {key!r}; fix the config.")
            kind, val = tokens[i]
            if kind == "p" and val in "{<":
                child, i = parse_block(i + 1, "}" if val == "{" else ">")
                out.setdefault(key, []).append(child)
            elif kind == "p" and val == "[":
                i += 1
                while i < len(tokens) and tokens[i] != ("p", "]"):
                    if tokens[i][0] != "p":
                        out.setdefault(key, []).append(tokens[i][1])
                    i += 1
                i += 1
            else:
                out.setdefault(key, []).append(val)
                i += 1
            while i < len(tokens) and tokens[i] in (("p", ";"), ("p", ",")):
                i += 1
        if closing is not None:
            raise DataError(f"{shown} has an unclosed block; fix the config.")
        return out, i

    result, _ = parse_block(0, None)
    return result
