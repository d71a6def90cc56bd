"""Report files with dated names, written atomically so a report is never half there."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

EXTENSIONS = {"md": "md", "html": "html", "json": "json", "csv": "csv"}
"""File extension of each report format."""


def report_path(directory: Path, day: date, fmt: str) -> Path:
    """The dated file name of one day's report in one format."""
    return directory / f"wirewatch-{day.isoformat()}.{EXTENSIONS[fmt]}"


def write_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` via a temporary file and a rename, so readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report_files(directory: Path, day: date, rendered: Mapping[str, str]) -> list[Path]:
    """Write every rendered format of one day's report; returns the paths written."""
    paths = []
    for fmt, text in rendered.items():
        path = report_path(directory, day, fmt)
        write_atomic(path, text)
        paths.append(path)
    return paths
