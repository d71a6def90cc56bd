"""Story ids of the report: one per stored story cluster.

A story is what ``storage.identity`` stored when the articles were crawled: copies of one
text (simhash) and the same event in other words or languages (story keys). The report
only names those clusters: ``"s-"`` plus a hash of the URL of the article that started
the cluster, so the id is the same on every database and on every regeneration of a day.
An article stored without a cluster is a story of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from storage.identity import story_id
from storage.report_queries import DayMatch


def story_ids(matches: Iterable[DayMatch]) -> dict[str, str]:
    """Map every matched article's URL to the id of its stored story."""
    return {m.url: story_id(m.story_root or m.url) for m in matches}
