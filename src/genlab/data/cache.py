"""Image folders too large for memory: decoded once into a memory-mapped uint8 cache on disk, which the
splits (and so the batches) read row by row instead of holding.

When it is used (`wanted`), decided per load:
    GENLAB_FORCE_CACHE=1      always use the cache (tests, or to keep a big folder out of memory anyway)
    GENLAB_FORCE_CACHE=0      never (hold the decoded folder in memory, as for small folders)
    GENLAB_MEMORY_BUDGET=N    otherwise: use it when the decoded images would take more than N bytes
    (neither set)             use it when they would take more than MEMORY_SHARE of the memory available
                              now (MemAvailable, capped by a cgroup limit); an in-memory load briefly holds
                              about twice the decoded size (all images, then the split copies)

Where: `cache_root()/data/<folder>-<hash>/` (`cache_root()` is $GENLAB_CACHE, else ~/.cache/genlab), one
entry per folder (its resolved path) and decoding options (channels, size, split seed), holding
    manifest.json   format version, key, shape, whether labelled, the loader's notes
    x.npy           uint8 (N, C, H, W), rows in split order (test | val | train, see splits.split_order),
                    so every split is a slice of one np.load(mmap_mode="r"), never a copy
    y.npy           int64 (N,) labels in the same order (labelled folders only)
The key is a SHA-256 of every image's relative path, size and modification time (ns) and of everything
that changes the pixels (the options, the decoder's version, Pillow's version): a changed folder, or a
newer decoder, gives another key and the entry is decoded again, replacing the stale one.

Whole or not at all: an entry is built in a staging folder beside it (x.npy written one decoded image at
a time, never all images in memory; every file flushed and fsynced, the manifest last) and renamed into
place only when complete; an interrupted build leaves at most an unused staging folder. x.npy is written
with plain writes, not through a writable memmap, so a full disk raises an error instead of SIGBUS.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genlab.errors import UserError
from genlab.files import cache_root

CACHE_VERSION = 1  # bump when the entry layout changes
MEMORY_SHARE = 0.25  # of the available memory, the most a folder may decode to before it is cached
FORCE_VARIABLE = "GENLAB_FORCE_CACHE"
BUDGET_VARIABLE = "GENLAB_MEMORY_BUDGET"
MANIFEST, X_FILE, Y_FILE = "manifest.json", "x.npy", "y.npy"


# ---------------------------------------------------------------- when


def available_memory() -> int | None:
    """Bytes of memory available now (Linux MemAvailable, capped by a cgroup v2 limit), None if unknown."""
    available = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            available = min(available, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return available


def memory_budget() -> int | None:
    """The most bytes a decoded folder may take in memory: GENLAB_MEMORY_BUDGET, else a share of what is free."""
    raw = os.environ.get(BUDGET_VARIABLE, "").strip()
    if raw:
        try:
            budget = int(raw)
        except ValueError:
            budget = -1
        if budget < 0:
            raise UserError(f"{BUDGET_VARIABLE}={raw!r} is not a number of bytes: set it to a whole number such "
                            "as 4000000000, or unset it.")
        return budget
    available = available_memory()
    return None if available is None else int(MEMORY_SHARE * available)


def wanted(decoded_bytes: Callable[[], int]) -> bool:
    """Whether to load through the disk cache; `decoded_bytes` estimates the decoded size (called only if
    neither variable decides)."""
    force = os.environ.get(FORCE_VARIABLE, "").strip()
    if force not in ("", "0", "1"):
        raise UserError(f"{FORCE_VARIABLE}={force!r} is not 0 or 1: set 1 to always read image folders from the "
                        "memory-mapped cache, 0 never to, or unset it.")
    if force:
        return force == "1"
    budget = memory_budget()
    return budget is not None and decoded_bytes() > budget


# ---------------------------------------------------------------- where and which


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def entry_for(folder: Path, options: Mapping[str, Any]) -> Path:
    """The cache entry of `folder` loaded with `options`: one per folder and options, whatever its content."""
    resolved = Path(folder).resolve()
    label = re.sub(r"[^A-Za-z0-9._-]", "_", resolved.name)[:40].lstrip(".") or "folder"
    return cache_root() / "data" / f"{label}-{_digest({'folder': str(resolved), 'options': dict(options)})[:16]}"


def fingerprint(folder: Path, files: Sequence[Path], options: Mapping[str, Any]) -> str:
    """The key of the folder's current content: every file's path (relative), size and mtime, and the options.
    Raises OSError if a file cannot be stat'ed."""
    stats = []
    for path in files:
        st = os.stat(path)
        stats.append([Path(path).relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns])
    return _digest({"version": CACHE_VERSION, "files": stats, "options": dict(options)})


# ---------------------------------------------------------------- read


def read(entry: Path, key: str) -> tuple[np.memmap, np.ndarray | None, dict] | None:
    """(x memory-mapped read-only, y or None, the stored info) if `entry` is complete and holds `key`, else None."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        if manifest.get("version") != CACHE_VERSION or manifest.get("key") != key:
            return None
        x = np.load(entry / X_FILE, mmap_mode="r", allow_pickle=False)
        y = np.load(entry / Y_FILE, allow_pickle=False) if manifest["labelled"] else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, truncated, damaged
        return None
    if x.dtype != np.uint8 or list(x.shape) != manifest.get("shape"):
        return None
    if y is not None and (y.dtype != np.int64 or y.shape != x.shape[:1]):
        return None
    return x, y, manifest.get("info", {})


# ---------------------------------------------------------------- write


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_rows(path: Path, shape: tuple[int, ...], rows: Iterable[np.ndarray]) -> None:
    """A uint8 .npy of `shape` written one row at a time (never all rows in memory)."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
    written = 0
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for row in rows:
            if row.shape != shape[1:] or row.dtype != np.uint8:
                raise ValueError(f"cache row {written} is {row.dtype} {row.shape}, not uint8 {shape[1:]}")
            f.write(np.ascontiguousarray(row).data)
            written += 1
        if written != shape[0]:
            raise ValueError(f"cache got {written} rows, not {shape[0]}")
        f.flush()
        os.fsync(f.fileno())


def _write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _size(nbytes: int) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def write(entry: Path, key: str, shape: tuple[int, ...], rows: Iterable[np.ndarray], y: np.ndarray | None,
          info: Mapping[str, Any]) -> None:
    """Build the entry whole or not at all from `rows` (each uint8 shape[1:], in order) and labels `y`,
    replacing a stale entry of the same folder. Errors raised by `rows` (a bad image) propagate unchanged."""
    parent = entry.parent
    nbytes = int(np.prod(shape))

    def failed(err: OSError) -> UserError:
        reason = (err.strerror or str(err)).lower()
        return UserError(f"Cannot write the image cache in {parent} ({reason}): free {_size(nbytes)} there, or set "
                         "GENLAB_CACHE to a writable folder with room.")

    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{entry.name}."))
    except OSError as err:
        raise failed(err) from None
    try:
        try:
            _write_rows(staging / X_FILE, tuple(shape), rows)
            if y is not None:
                _write_npy(staging / Y_FILE, np.ascontiguousarray(y, dtype=np.int64))
            manifest = {"version": CACHE_VERSION, "key": key, "shape": list(shape), "labelled": y is not None,
                        "info": dict(info)}
            with open(staging / MANIFEST, "w") as f:  # last: a manifest means the rest is complete
                f.write(json.dumps(manifest, indent=2) + "\n")
                f.flush()
                os.fsync(f.fileno())
            _fsync_dir(staging)
            shutil.rmtree(entry, ignore_errors=True)  # the stale entry of this folder, if any
            try:
                os.replace(staging, entry)
            except OSError:
                if read(entry, key) is None:  # not a concurrent build of the same content that won the race
                    raise
            _fsync_dir(parent)
        except OSError as err:
            raise failed(err) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
