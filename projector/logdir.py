"""TensorBoard log folders, read as ``tensorboard --logdir`` finds their embeddings (its projector plugin).

A run is the log folder or any folder below it holding a ``projector_config.pbtxt`` or a TensorFlow
checkpoint (a ``checkpoint`` file or ``*.index``); a config in ``RUN/plugins/projector/`` belongs to
``RUN`` (and wins over ``RUN/projector_config.pbtxt``, as in TensorBoard). Per run:

- config entries with a ``tensor_path`` (PyTorch's SummaryWriter, tensorboardX) load as before;
- the checkpoint is the config's ``model_checkpoint_path`` (relative to the config's folder) or, else,
  every checkpoint of the run folder (TensorBoard shows only the latest; here each kept step is its own
  data set, so steps can be compared), or of its parent when the run has none and no tensor files;
- every 2-D tensor of a checkpoint is an embedding except optimizer state (``.OPTIMIZER_SLOT``, and
  Keras 3's ``optimizer/_variables/N`` beside ``optimizer/_iterations``) and the object graph; the
  config's entry with that ``tensor_name`` (``:0`` or not) gives its metadata and sprite, and a first
  entry without a tensor name gives its metadata to the tensors no entry names.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import formats
from .checkpoint import OBJECT_GRAPH, CheckpointReader, all_checkpoints, checkpoints_on_disk, step_of
from .dataset import Dataset, _load_spec, load_dataset, read_sprite
from .errors import DataError

LOGDIR_MAX_RUNS = 1_000                  # run folders read under one log folder
LOGDIR_MAX_CHECKPOINT_TENSORS = 50       # checkpoint tensors (all steps together) loaded per run
CONFIG = "projector_config.pbtxt"
TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_KERAS_STATE = re.compile(r"^(.*)/_variables/\d+" + re.escape(TF2_SUFFIX) + "$")


@dataclass
class Run:
    """One run: its name as TensorBoard shows it ("." for the log folder itself) and its folder."""
    name: str
    folder: Path
    config: Path | None = None


@dataclass
class _Entry:
    """A config entry for a tensor inside a checkpoint."""
    tensor: str | None
    metadata: Path | None = None
    sprite: Path | None = None
    sprite_dim: tuple | None = None


@dataclass
class _Config:
    checkpoint: Path | None = None
    entries: list[_Entry] = field(default_factory=list)
    default: _Entry | None = None        # the first entry, when it names no tensor
    tensor_files: bool = False


def find_runs(root: Path) -> tuple[list[Run], bool]:
    """The runs under ``root``, sorted by name, and whether there were more than LOGDIR_MAX_RUNS."""
    runs: dict[str, Run] = {}
    plugin_configs: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        folder = Path(dirpath)
        rel = folder.relative_to(root)
        if rel.parts[-2:] == ("plugins", "projector"):
            if CONFIG in filenames:
                owner = rel.parent.parent.as_posix()
                plugin_configs[owner] = folder / CONFIG
                runs.setdefault(owner, Run(owner, folder.parent.parent))
            continue
        if CONFIG in filenames or "checkpoint" in filenames or any(f.endswith(".index") for f in filenames):
            name = rel.as_posix()
            runs.setdefault(name, Run(name, folder))
            if CONFIG in filenames:
                runs[name].config = folder / CONFIG
        if len(runs) > LOGDIR_MAX_RUNS:
            break
    for name, config in plugin_configs.items():
        runs[name].config = config
    ordered = sorted(runs.values(), key=lambda r: r.name)
    return ordered[:LOGDIR_MAX_RUNS], len(ordered) > LOGDIR_MAX_RUNS


def load_logdir(path, skip=frozenset()) -> tuple[list[Dataset], list[str]]:
    """Every embedding under a TensorBoard log folder (see the module's docstring for the rules).

    Data sets from checkpoints are named "run · tensor · step N" (the log folder's own run without a
    name; ``/.ATTRIBUTES/VARIABLE_VALUE`` left out), those of SummaryWriter's configs "run · tag:step";
    each carries ``source`` = {"logdir", "run", "tensor", "step"}. ``skip``: (run, tensor, step) keys
    of data sets not to load again — nothing of them is read beyond the checkpoint's index.

    Returns (data sets, warnings): what cannot be read (a broken checkpoint, a missing file) is a
    warning naming it, and the rest still loads; no run at all, or nothing readable, is a :class:`DataError`.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; give --logdir the folder TensorBoard would be given.")
    runs, capped = find_runs(root)
    if not runs:
        raise DataError(f"{root} holds no projector_config.pbtxt and no TensorFlow checkpoint (in it or in a run "
                        "folder below it); write embeddings with SummaryWriter.add_embedding, save a checkpoint, "
                        "or write a projector config first.")
    skip = {tuple(k) for k in skip}
    loader = _Loader(root, skip)
    if capped:
        loader.warnings.append(f"{root.name} holds more than {LOGDIR_MAX_RUNS:,} runs; the first "
                               f"{LOGDIR_MAX_RUNS:,} (by name) are read.")
    for run in runs:
        loader.run(run)
    if not loader.datasets and not loader.skipped:
        reasons = "; ".join(w.rstrip(".") for w in loader.warnings[:3]) or "its runs hold no 2-D tensor"
        reasons += "."
        raise DataError(f"no embedding under {root} could be read: {reasons}")
    return loader.datasets, loader.warnings


class _Loader:
    def __init__(self, root: Path, skip: set):
        self.root, self.skip = root, skip
        self.real_root = root.resolve()
        self.datasets: list[Dataset] = []
        self.warnings: list[str] = []
        self.skipped = 0

    def source(self, run: Run, tensor: str, step: int | None) -> dict:
        return {"logdir": str(self.root), "run": run.name, "tensor": tensor, "step": step}

    def run(self, run: Run) -> None:
        label = self.root.name if run.name == "." else run.name
        config = None
        if run.config is not None:
            try:
                config = self.read_config(run.config)
            except DataError as exc:
                self.warnings.append(f"{label}: {exc}")
        if config is not None and config.tensor_files:
            self.tensor_files(run, label)
        self.checkpoints(run, label, config or _Config())

    # -- entries with a tensor file (SummaryWriter, tensorboardX)

    def tensor_files(self, run: Run, label: str) -> None:
        try:
            specs = formats.read_projector_config(run.config, skip_checkpoints=True)
        except DataError as exc:
            self.warnings.append(f"{label}: {exc}")
            return
        for spec in specs:
            if spec.tensor_path is None:
                continue
            tensor, step = _summary_writer_key(spec, run.config.parent)
            if (run.name, tensor, step) in self.skip:
                self.skipped += 1
                continue
            try:
                ds = _load_spec(spec)
            except DataError as exc:
                self.warnings.append(f"{label} · {spec.name}: {exc}")
                continue
            ds.name = spec.name if run.name == "." else f"{run.name} · {spec.name}"
            ds.source = self.source(run, tensor, step)
            self.datasets.append(ds)

    # -- checkpoints

    def checkpoints(self, run: Run, label: str, config: _Config) -> None:
        said = len(self.warnings)
        prefixes = [config.checkpoint] if config.checkpoint is not None else self.run_checkpoints(run, label, config)
        if not prefixes:
            named = [e.tensor for e in config.entries if e.tensor]
            if named and len(self.warnings) == said:
                self.warnings.append(f"{label}: {CONFIG} names {', '.join(named[:3])}, tensors inside a checkpoint, but "
                                     f"no checkpoint is in {run.folder.name or run.folder}; save one there or name it "
                                     "in model_checkpoint_path.")
            return
        by_name = {e.tensor: e for e in config.entries if e.tensor}
        run_shown = "" if run.name == "." else run.name
        budget, seen, opened = LOGDIR_MAX_CHECKPOINT_TENSORS, set(), False
        found: list[tuple[int, int, Dataset]] = []
        newest_first = prefixes[::-1]                # the cap keeps the latest steps
        rank: dict[str, int] = {}
        for prefix in newest_first:
            if budget == 0:
                self.warnings.append(self.cap_warning(label))
                break
            step = step_of(prefix)
            where = f"{label} · step {step}" if step is not None else f"{label} · {prefix.name}"
            try:
                reader = CheckpointReader(prefix)
            except DataError as exc:
                self.warnings.append(f"{where}: {exc}")
                continue
            shapes = reader.shapes()
            opened = True
            seen.update(shapes)
            names = [t for t in by_name if t in shapes]
            names += sorted(t for t in shapes if t not in by_name and _is_embedding(t, shapes))
            if budget < len(names):
                self.warnings.append(self.cap_warning(label))
            for tensor in names[:budget]:
                order = rank.setdefault(tensor, len(rank))
                if (run.name, tensor, step) in self.skip:
                    self.skipped += 1
                    continue
                ds = self.checkpoint_tensor(reader, run, tensor, step, by_name.get(tensor), config.default,
                                            run_shown, where)
                if ds is not None:
                    found.append((order, -1 if step is None else step, ds))
            if budget < len(names):
                break
            budget -= len(names)
        for tensor in by_name:
            if opened and tensor not in seen:
                self.warnings.append(f"{label}: {CONFIG} names {tensor!r}, which is not in the run's checkpoint; "
                                     "check the tensor_name (tf.train.list_variables lists them).")
        self.datasets.extend(ds for *_, ds in sorted(found, key=lambda f: (f[0], f[1])))

    @staticmethod
    def cap_warning(label: str) -> str:
        return (f"{label} holds more than {LOGDIR_MAX_CHECKPOINT_TENSORS} checkpoint tensors (counting every step); "
                f"the first {LOGDIR_MAX_CHECKPOINT_TENSORS}, newest steps first, are loaded.")

    def run_checkpoints(self, run: Run, label: str, config: _Config) -> list[Path]:
        try:
            prefixes = all_checkpoints(run.folder)
        except DataError as exc:          # a broken `checkpoint` file: the checkpoints beside it still load
            self.warnings.append(f"{label}: {exc}")
            return checkpoints_on_disk(run.folder)
        if not prefixes and run.name != "." and not config.tensor_files and (config.entries or config.default):
            try:                                      # TensorBoard also looks one folder up
                prefixes = all_checkpoints(run.folder.parent)
            except DataError:
                prefixes = []
        inside = [p for p in prefixes if self.inside(p)]
        if len(inside) < len(prefixes):
            self.warnings.append(f"{label}: the checkpoint file names checkpoints outside the log folder "
                                 f"({next(p for p in prefixes if not self.inside(p))}); they are not read — keep "
                                 "checkpoints inside the folder given to --logdir.")
        return inside

    def inside(self, path: Path) -> bool:
        target = Path(path).resolve()
        return target == self.real_root or self.real_root in target.parents

    def checkpoint_tensor(self, reader, run, tensor, step, entry, default, run_shown, where) -> Dataset | None:
        short = tensor.removesuffix(TF2_SUFFIX)
        name = " · ".join(p for p in (run_shown, short, f"step {step}" if step is not None else "") if p)
        try:
            X = formats.validate_vectors(reader.tensor(tensor), repr(short))
            meta = entry if entry is not None else default
            try:
                ds = load_dataset(X, meta.metadata if meta else None, name=name)
            except DataError as exc:
                if entry is not None or meta is None or meta.metadata is None:
                    raise
                ds = load_dataset(X, None, name=name)     # the shared metadata does not fit this tensor
                ds.warnings.append(f"{name}: the metadata of the config's first entry does not fit it ({exc}); "
                                   "it loads without metadata.")
        except DataError as exc:
            self.warnings.append(f"{where} · {short}: {exc}")
            return None
        if entry is not None and entry.sprite is not None:
            ds.sprite, warning = read_sprite(entry.sprite, entry.sprite_dim, ds.num_points)
            if warning:
                ds.warnings.append(warning)
        ds.source = self.source(run, tensor, step)
        return ds

    # -- the config's checkpoint side (entries with a tensor_name and no tensor_path)

    def read_config(self, path: Path) -> _Config:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{CONFIG} is not UTF-8 text; save the config as UTF-8.") from None
        except OSError as exc:
            raise DataError(f"{CONFIG} could not be read ({exc.strerror}).") from None
        fields = formats.parse_pbtxt(text, CONFIG)
        folder = path.resolve().parent
        out = _Config()
        first = lambda d, k: next((v for v in d.get(k, []) if isinstance(v, str) and v), None)  # noqa: E731
        checkpoint = first(fields, "model_checkpoint_path")
        if checkpoint:
            target = (folder / checkpoint).resolve()
            if not self.inside(target):
                raise DataError(f"{CONFIG} names the checkpoint {checkpoint!r}, which lies outside the log folder; "
                                "keep the checkpoint inside the folder given to --logdir.")
            out.checkpoint = target
        for i, e in enumerate(x for x in fields.get("embeddings", []) if isinstance(x, dict)):
            if first(e, "tensor_path"):
                out.tensor_files = True
                continue
            tensor = first(e, "tensor_name")
            tensor = tensor[:-2] if tensor and tensor.endswith(":0") else tensor
            sprite = next((s for s in e.get("sprite", []) if isinstance(s, dict)), {})
            entry = _Entry(tensor=tensor)
            if first(e, "metadata_path"):
                entry.metadata = _asset(folder, first(e, "metadata_path"))
            if first(sprite, "image_path"):
                entry.sprite = _asset(folder, first(sprite, "image_path"))
                try:
                    entry.sprite_dim = tuple(int(v) for v in sprite.get("single_image_dim", [])) or None
                except ValueError:
                    entry.sprite_dim = None
            if tensor:
                out.entries.append(entry)
            elif i == 0:
                out.default = entry
        return out


def _asset(folder: Path, rel: str) -> Path:
    path = Path(rel)
    if path.is_absolute() and not path.exists() and (folder / path.name).exists():
        path = folder / path.name      # an absolute path written where the run was made (TF1's word2vec does)
    target = (folder / path).resolve()
    if target != folder and folder not in target.parents:
        raise DataError(f"{CONFIG} names {rel!r}, which lies outside the config's folder; keep every file of a "
                        "projector config inside its folder.")
    return target


def _is_embedding(name: str, shapes: dict) -> bool:
    """A 2-D tensor that is not optimizer state or the object graph (TensorBoard's rule, plus Keras 3)."""
    shape, _ = shapes[name]
    if len(shape) != 2 or ".OPTIMIZER_SLOT" in name or name == OBJECT_GRAPH:
        return False
    keras = _KERAS_STATE.match(name)
    return not (keras and f"{keras.group(1)}/_iterations{TF2_SUFFIX}" in shapes)


def _summary_writer_key(spec, folder: Path) -> tuple[str, int | None]:
    """(tensor, step) of a config entry: SummaryWriter puts step 100 of tag "words" in ``00100/words/``
    and names it "words:00100"."""
    try:
        first = spec.tensor_path.relative_to(folder.resolve()).parts[0]
    except (ValueError, IndexError):
        return spec.name, None
    if not first.isdigit():
        return spec.name, None
    tensor = spec.name[:-len(first) - 1] if spec.name.endswith(":" + first) else spec.name
    return tensor, int(first)
