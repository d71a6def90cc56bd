"""`wirewatch eval FILE`: precision and recall of the current topic rules on a labelled set,
and every mistake with the rule evidence (pipelines/evaluation.py has the file format)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from pipelines.evaluation import EvalResult, Mistake, evaluate, load_labelled
from pipelines.topics import compile_topics
from wirewatch.clikit import check_topics, errors_as_messages, state
from wirewatch.output import render


def _extract(html: bytes, url: str) -> tuple[str, str]:
    from pipelines.extraction import extract_article

    ex = extract_article(html, url, content_type="text/html", min_chars=1)
    return ex.title, ex.text


def score_rows(result: EvalResult) -> list[dict[str, Any]]:
    """One row per (topic, language): counts, precision and recall."""
    return [
        {
            "topic": topic,
            "lang": lang,
            "docs": c.tp + c.fp + c.fn + c.tn,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
            "precision": round(c.precision, 3),
            "recall": round(c.recall, 3),
        }
        for (topic, lang), c in sorted(result.cells.items())
    ]


def mistake_dict(m: Mistake) -> dict[str, Any]:
    """A mistake with its evidence: score, reasons, and every hit with its weight or note."""
    ex = m.explanation
    return {
        "id": m.doc.ref,
        "line": m.doc.line,
        "lang": m.doc.lang,
        "topic": m.topic,
        "error": m.kind,
        "title": m.doc.title,
        "score": ex.score,
        "threshold": ex.threshold,
        "reasons": ex.reasons,
        "hits": [
            {"term": h.term, "field": h.field, "start": h.start, "end": h.end}
            | ({"weight": h.weight} if not h.note else {"note": h.note})
            for h in ex.hits
        ],
        "groups": {k: v for k, v in ex.groups.items() if v},
    }


def _mistake_lines(m: Mistake) -> list[str]:
    d = mistake_dict(m)
    head = f"{d['error']}: {d['topic']} [{d['lang']}] {d['id']} (line {d['line']}): "
    lines = [head + repr(d["title"][:90])]
    score = f"  score {d['score']:g} / threshold {d['threshold']:g}; "
    lines.append(score + "; ".join(d["reasons"]))
    for h in d["hits"]:
        verdict = f"+{h['weight']:g}" if "weight" in h else f"not counted: {h['note']}"
        lines.append(f"  {h['field']}[{h['start']}:{h['end']}] {h['term']!r} {verdict}")
    if d["groups"]:
        lines.append("  groups: " + ", ".join(f"{k}={v}" for k, v in d["groups"].items()))
    return lines


def _below(rows: list[dict[str, Any]], min_p: float, min_r: float) -> list[str]:
    return [
        f"{r['topic']} [{r['lang']}]: precision {r['precision']:.3f}, recall {r['recall']:.3f}"
        for r in rows
        if r["precision"] < min_p or r["recall"] < min_r
    ]


@click.command("eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--topic", "topics", multiple=True, help="Score only this topic (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--min-precision", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--min-recall", type=click.FloatRange(0, 1), default=0.0, show_default=True)
def eval_cmd(
    file: Path, topics: tuple[str, ...], fmt: str, min_precision: float, min_recall: float
) -> None:
    """Score the topic rules on a labelled JSONL or CSV set; list every mistake and why."""
    with errors_as_messages():
        config = state().config
        check_topics(config, topics)
        everything = compile_topics(config.topics)
        docs = load_labelled(file, everything.topic_ids, everything.languages)
        spec = {k: v for k, v in config.topics.items() if not topics or k in topics}
        result = evaluate(compile_topics(spec), docs, _extract)
    rows = score_rows(result)
    if fmt == "json":
        out = {
            "scored": result.scored,
            "ambiguous": result.skipped,
            "scores": rows,
            "mistakes": [mistake_dict(m) for m in result.mistakes],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{result.scored} documents scored, {result.skipped} ambiguous left out")
        cols = ("topic", "lang", "docs", "tp", "fp", "fn", "precision", "recall")
        click.echo(render(rows, "table", cols), nl=False)
        for m in result.mistakes:
            click.echo("")
            click.echo("\n".join(_mistake_lines(m)))
    failing = _below(rows, min_precision, min_recall)
    if failing:
        click.echo("wirewatch: error: below the floor: " + "; ".join(failing), err=True)
        sys.exit(1)
