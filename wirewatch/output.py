"""One set of output formats for every command that prints records: table, json, csv, ndjson."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

FORMATS = ("table", "json", "csv", "ndjson")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(_plain(v)) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(_plain(value))


def render(rows: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str]) -> str:
    """Render records as ``table``, ``json`` (a list), ``csv`` or ``ndjson``."""
    if fmt == "json":
        return (
            json.dumps(
                [{k: _plain(r.get(k)) for k in columns} for r in rows], ensure_ascii=False, indent=2
            )
            + "\n"
        )
    if fmt == "ndjson":
        return "".join(
            json.dumps({k: _plain(r.get(k)) for k in columns}, ensure_ascii=False) + "\n"
            for r in rows
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r.get(k)) for k in columns] for r in rows])
        return buf.getvalue()
    if fmt == "table":
        return table(rows, columns)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int = 60) -> str:
    """A plain aligned text table; long cells are cut to ``width`` characters."""
    cells = [[_clip(_cell(r.get(k)), width) for k in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
