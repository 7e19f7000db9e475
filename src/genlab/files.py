"""Files written whole or not at all, so an interrupted command never leaves a half-written output; and the
one folder genlab caches things in (feature classifiers, decoded image folders)."""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from genlab.errors import UserError


def cache_root() -> Path:
    """Where genlab keeps what it can rebuild: $GENLAB_CACHE, else ~/.cache/genlab."""
    return Path(os.environ.get("GENLAB_CACHE") or Path.home() / ".cache" / "genlab")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (temporary file, fsync, rename)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"Cannot write {path}: it is a folder; name a file instead.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (FileExistsError, NotADirectoryError, PermissionError) as err:
        raise UserError(f"Cannot write {path}: {err.strerror.lower()} on the way there; choose another path.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2) + "\n").encode())


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"{path} is missing: is this a genlab run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{path} is not valid JSON: the run folder is damaged; retrain or restore it.") from None


def write_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array)
    atomic_write(Path(path), buf.getvalue())


def cached_json(folder: str, arrays: list[np.ndarray], params: Any, compute) -> Any:
    """compute(), cached as JSON in $GENLAB_CACHE/folder under a hash of `arrays` and `params`: for figures
    that are a pure function of their inputs and shared by many runs (reference rows, classical floors)."""
    import hashlib

    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(params).encode())
    path = cache_root() / folder / f"{digest.hexdigest()[:24]}.json"
    if path.exists():
        return read_json(path)
    value = compute()
    write_json(path, value)
    return value
