"""Atomic outputs: a stage that fails or is killed never leaves a half-written file behind.

`atomic_path` replaces one file or folder; `stage_outputs` replaces all of a stage's outputs as
one unit (the old set or the new set, never a mix). See docs/recovery.md.
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path | str, is_dir: bool = False):
    """Yield a temporary sibling of `path`; move it into place only if the block succeeds.

    Works for files and folders. The temporary name starts with '.' so DVC and globs skip it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    target = tmp if is_dir else tmp / path.name
    try:
        try:
            yield target
        except OSError as exc:  # a write error without a file name (disk full in f.write) names path
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
            raise
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def stage_outputs(*dirs: Path | str, files=()):
    """Write all of a stage's outputs as one unit: yield temporary paths, commit them together.

    `with stage_outputs(out_dir, report_dir, files=[table]) as (tmp_out, tmp_report, tmp_table):`
    yields one fresh empty folder per entry of `dirs`, then one not-yet-existing file path per
    entry of `files` (each a temporary sibling of its target, so the final renames stay on one
    file system). Only when the block ends without an exception are the old outputs moved aside,
    the new ones renamed into place and the old ones deleted; if a rename fails, the ones already
    done are undone. A failure or kill inside the block leaves every old output as it was.
    An OSError inside the block (disk full, ...) is raised again naming the output, not the
    temporary path (run_stage turns it into one `error:` line).
    """
    targets = [Path(p) for p in (*dirs, *files)]
    if len({os.path.abspath(t) for t in targets}) != len(targets):
        raise ValueError(f"stage_outputs: the same output twice in {[str(t) for t in targets]}")
    boxes, temps = [], []
    try:
        for i, target in enumerate(targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            box = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
            boxes.append(box)
            temps.append(box / "new")
            if i < len(dirs):
                temps[-1].mkdir()
        try:
            yield tuple(temps)
        except OSError as exc:  # name the output, not its temporary stand-in
            raise OSError(exc.errno, exc.strerror or str(exc), _outside(exc.filename, temps, targets)) \
                from exc
        missing = [str(t) for t, tmp in zip(targets, temps) if not os.path.lexists(tmp)]
        if missing:
            raise RuntimeError(f"stage_outputs: the block did not write {', '.join(missing)}")
        _commit(targets, temps, boxes)
    finally:
        for box in boxes:
            shutil.rmtree(box, ignore_errors=True)


def _commit(targets: list[Path], temps: list[Path], boxes: list[Path]) -> None:
    """Old outputs aside (into their box), new ones in; undo every step done if one fails."""
    done = []  # (step, index): "aside" = target moved to box/old, "in" = new moved to target
    try:
        for i, target in enumerate(targets):
            if os.path.lexists(target):
                os.replace(target, boxes[i] / "old")
                done.append(("aside", i))
        for i, target in enumerate(targets):
            os.replace(temps[i], target)
            done.append(("in", i))
    except BaseException:
        for step, i in reversed(done):
            with contextlib.suppress(OSError):
                if step == "in":
                    os.replace(targets[i], temps[i])
                else:
                    os.replace(boxes[i] / "old", targets[i])
        raise


def _outside(filename, temps: list[Path], targets: list[Path]) -> str:
    """The output path a temporary file name stands for (for messages)."""
    if filename:
        name = str(filename)
        for tmp, target in zip(temps, targets):
            if name == str(tmp) or name.startswith(str(tmp) + os.sep):
                return str(target) + name[len(str(tmp)):]
        return name
    return ", ".join(str(t) for t in targets)


def write_json(path: Path | str, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def save_figure(fig, path: Path | str, **kwargs) -> None:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png", **kwargs)
    plt.close(fig)


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
