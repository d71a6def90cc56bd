"""Report files with dated names, written atomically so a report is never half there.

What an output path may be: a regular file (replaced atomically, keeping its mode), a
path that does not exist yet (created with the process's umask, like any new file), or a
symlink to either of those, which is followed: the file it points to is replaced and the
link stays. Anything else (a directory, a device such as ``/dev/full``, a FIFO, a
socket) is refused with an ``OSError`` naming the path, never replaced by a file.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

EXTENSIONS = {"md": "md", "html": "html", "json": "json", "csv": "csv"}
"""File extension of each report format."""


def report_path(directory: Path, day: date, fmt: str) -> Path:
    """The dated file name of one day's report in one format."""
    return directory / f"wirewatch-{day.isoformat()}.{EXTENSIONS[fmt]}"


def output_target(path: Path) -> tuple[Path, int | None]:
    """The file a write to ``path`` replaces (symlinks followed) and its mode, if it exists.

    Raises ``OSError`` when that is not a regular file.
    """
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        return target, None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise OSError(errno.EINVAL, f"{kind}; refusing to replace it", str(path))
    return target, stat.S_IMODE(info.st_mode)


def write_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` via a temporary file and a rename, so readers see all or nothing."""
    target, mode = output_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        output_target(path)  # nothing else took its place meanwhile
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it where /proc allows."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_report_files(directory: Path, day: date, rendered: Mapping[str, str]) -> list[Path]:
    """Write every rendered format of one day's report; returns the paths written."""
    paths = []
    for fmt, text in rendered.items():
        path = report_path(directory, day, fmt)
        write_atomic(path, text)
        paths.append(path)
    return paths
