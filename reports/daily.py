"""The daily keyword-match report: build the day's data, render it in one format.

Kept as the stable entry point of the first version; the work is done by
`reports.build` (data) and `reports.render` (formats).
"""

from __future__ import annotations

from reports.build import SCHEMA, build_report, day_bounds
from reports.render import FORMATS, render_report

__all__ = ["FORMATS", "SCHEMA", "build_report", "day_bounds", "render_report"]
