"""Hidden staging folders: where a command writes before it moves its files into place.

A staging folder is named ``.wres-<purpose>-<host>-<pid>-<random>``: the machine and the process
that own it. A process that is killed (``kill -9``, the out-of-memory killer, a power cut) cannot
remove its own, so each command first removes the stale ones it finds in the folder it writes
to: those of a process of this machine that is no longer running. A folder of a running process
(a concurrent run into the same folder) or of another machine (a shared drive, where the process
cannot be looked up) is never touched. Folders of wres versions that did not record their
process (``.wres-run-`` and eight random characters) are removed once nobody has written to them
for a day.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wres.engine.errors import ConfigError

#: Staging folders without a recorded process are stale once untouched this long (seconds).
UNOWNED_STALE_AFTER = 24 * 60 * 60

_STAGING = re.compile(r"\.wres-[a-z]+-")


def host_name() -> str:
    """This machine's name, spelt so that it fits in a file name on every file system."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:64] or "unknown"


def _prefix(purpose: str) -> str:
    return f".wres-{purpose}-"


def is_staging(name: str) -> bool:
    """Whether ``name`` is a staging folder's name (any command's, any process's)."""
    return _STAGING.match(name) is not None


def make_staging(parent: Path, purpose: str) -> Path:
    """A new, empty staging folder in ``parent`` owned by this process; OSError if unwritable."""
    prefix = f"{_prefix(purpose)}{host_name()}-{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def _running(pid: int) -> bool:
    """Whether process ``pid`` of this machine may be running; True whenever unsure."""
    if pid == os.getpid() or os.name != "posix":
        # our own (another thread of a notebook may be writing); elsewhere no safe way to ask
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it exists, under another user
        return True
    return True


def is_stale(folder: Path, purpose: str) -> bool:
    """Whether ``folder``, a staging folder for ``purpose``, belongs to no running process."""
    owner = folder.name.removeprefix(_prefix(purpose)).rsplit("-", 2)
    if len(owner) == 3 and owner[1].isdigit():  # host, pid, random
        host, pid, _ = owner
        return host == host_name() and not _running(int(pid))
    try:  # written by an earlier version of wres, which did not record its process
        return time.time() - folder.stat().st_mtime > UNOWNED_STALE_AFTER
    except OSError:
        return False


def remove_stale(parent: Path, purpose: str) -> list[Path]:
    """Remove the stale staging folders for ``purpose`` in ``parent``; return those removed."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in sorted(parent.glob(f"{_prefix(purpose)}*")):
        if entry.is_dir() and not entry.is_symlink() and is_stale(entry, purpose):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextmanager
def staging_folder(parent: Path, purpose: str) -> Iterator[Path]:
    """Make ``parent`` and a staging folder in it, after removing stale ones; yield it.

    ConfigError, naming the folder and what is wrong, when ``parent`` cannot be made or written
    (making the staging folder is the proof that it can). On leaving, the staging folder is
    removed, and so are the folders made for ``parent`` that are still empty.
    """
    created = _make_folder(parent)
    try:
        try:
            remove_stale(parent, purpose)
            staging = make_staging(parent, purpose)
        except OSError as err:
            raise ConfigError(cannot_write(parent, err)) from None
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        for folder in created:  # deepest first; one that now holds the output is not empty
            try:
                folder.rmdir()
            except OSError:
                break


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made, deepest first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(cannot_write(folder, err)) from None
    return missing


def cannot_write(folder: Path, err: OSError) -> str:
    """Why ``folder`` cannot be written, naming the file in its way when there is one."""
    in_the_way = next(
        (p for p in reversed((folder, *folder.parents)) if p.exists() and not p.is_dir()), None
    )
    if in_the_way is not None:
        return f"cannot write to {folder}: {in_the_way} is a file, not a folder"
    return f"cannot write to {folder}: {err.strerror or err}"
