"""One set of output formats for every command that prints records: table, json, csv, ndjson.

A command that prints rows takes the options with ``@output_options`` and prints with
``emit_rows``; ``is_row_command`` tells a test which commands carry them (sqlite-utils'
shared ``--json/--csv/--table`` options are the model).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import click

FORMATS = ("table", "json", "csv", "ndjson")
"""Every ``--format`` a row-printing command accepts; ``table`` is the default."""

FORMAT_HELP = (
    "Output format: an aligned text table, a JSON array of objects, CSV with a header row, "
    "or newline-delimited JSON (one object per line)."
)
_META_KEY = "wirewatch.output.format"
_MARK = "__wirewatch_rows__"
F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    """Give a command the shared ``--format table|json|csv|ndjson`` option.

    The chosen format is kept on the click context for `emit_rows`; the command's own
    function does not receive it.
    """

    def remember(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        ctx.meta[_META_KEY] = value
        return value

    option = click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        expose_value=False,
        callback=remember,
        help=FORMAT_HELP,
    )
    setattr(func, _MARK, True)
    return option(func)


def is_row_command(command: click.Command) -> bool:
    """Whether ``command`` was declared with `output_options`."""
    return bool(getattr(command.callback, _MARK, False))


def chosen_format() -> str:
    """The ``--format`` of the running command (click shares ``meta`` with subcommands)."""
    meta = click.get_current_context().meta
    if _META_KEY not in meta:
        raise RuntimeError("emit_rows() in a command without @output_options")
    return str(meta[_META_KEY])


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    table_columns: Sequence[str] | None = None,
    table_width: int | None = 60,
) -> str:
    """Print ``rows`` on stdout in the command's ``--format``; return the format used.

    ``table_columns`` (default: ``columns``) are the narrower columns of the text table,
    whose cells are cut to ``table_width`` characters (``None``: never cut).
    """
    fmt = chosen_format()
    if fmt == "table":
        click.echo(table(rows, table_columns or columns, table_width), nl=False)
    else:
        click.echo(render(rows, fmt, columns), nl=False)
    return fmt


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


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int | None = 60) -> str:
    """A plain aligned text table; long cells are cut to ``width`` characters (if given)."""
    cells = [[_clip(_cell(r.get(k)), width) for k in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int | None) -> str:
    text = " ".join(text.split())
    return text if width is None or len(text) <= width else text[: width - 1] + "…"
