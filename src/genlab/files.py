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


def output_path(path: Path, suffixes: tuple[str, ...], what: str) -> Path:
    """`path` for an output a command writes as `what` (e.g. "a sample grid"), whose formats are `suffixes`
    (".png", ...; the first is added when `path` has none). Any other suffix is one UserError naming the file and
    the choices, raised before the work, so nothing is computed for an output that cannot be written and no file
    holds bytes of another format than its name says."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder: name the file to write, e.g. {path / ('output' + suffixes[0])}.")
    if not path.suffix:
        return path.with_suffix(suffixes[0])
    if path.suffix.lower() not in suffixes:
        choices = " or ".join(", ".join(suffixes).rsplit(", ", 1))
        raise UserError(f"{path}: {what} is written as {choices}, not {path.suffix}: change the suffix.")
    return path


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


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"  # .npz files are zip archives


def read_numpy(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """A user's .npy file as its array, or a .npz file as {name: array}, never unpickling: a file of Python
    objects, a file that is not NumPy's, or a damaged one is one UserError naming it (numpy's own message
    would advise allow_pickle=True, which would run the file's code)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(len(NPY_MAGIC))
        if magic != NPY_MAGIC and not magic.startswith(ZIP_MAGIC):
            raise UserError(f"{path} is not a NumPy .npy/.npz file: save arrays with np.save or np.savez.")
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded:
            return {name: loaded[name] for name in loaded.files}
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(f"{path} does not exist: check the path.") from None
    except Exception as err:  # noqa: BLE001  (bad zip, truncated header, object arrays, ...: one problem to the user)
        if "pickle" in str(err) or "object" in str(err).lower():
            raise UserError(f"{path} holds Python objects, which genlab never unpickles: save plain numeric "
                            "arrays instead.") from None
        reason = " ".join(str(err).split()).rstrip(".")
        raise UserError(f"Cannot read {path} ({reason}): save plain numeric arrays with np.save or "
                        "np.savez.") from None


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
