"""`wirewatch eval FILE`: precision/recall per topic and language of a labelled JSONL or CSV
set, every mistake with its rule evidence, and a one-line error for a bad file."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wirewatch.cli import cli

WIRE = Path(__file__).parent / "fixtures" / "topics_eval" / "wire.jsonl"
EVAL = WIRE.parent


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with the built-in topics and no sources."""
    path = tmp_path / "w.toml"
    path.write_text(f'builtin_sources = false\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Any:
    """Run `wirewatch eval` in-process."""
    return CliRunner().invoke(cli, ["--config", str(config), "eval", *args])


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Rows as JSON Lines."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_eval_prints_scores_per_topic_and_language(config: Path) -> None:
    result = run(config, str(WIRE))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("documents scored, 0 ambiguous left out")
    rows = [line.split() for line in lines[3:9]]
    assert {(r[0], r[1]) for r in rows} == {
        (t, lang) for t in ("kuril", "peace_treaty") for lang in ("en", "ja", "ru")
    }


def test_eval_lists_each_mistake_with_its_evidence(config: Path, tmp_path: Path) -> None:
    rows = [
        # expected kuril but only a Kuril Lake namesake: a false negative
        {"id": "lake", "lang": "en", "title": "Bears at Kuril Lake", "text": "", "kuril": True},
        # expected nothing but Iturup is named: a false positive
        {"id": "itu", "lang": "en", "title": "Iturup airport", "text": "Flights resume.",
         "topics": []},
        {"id": "ok", "lang": "ru", "title": "Курилы", "text": "", "topics": ["kuril"]},
        {"id": "vague", "lang": "en", "title": "Kurils?", "text": "", "kuril": False,
         "ambiguous": True},
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "set.jsonl", rows)
    result = run(config, "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["scored"], data["ambiguous"]) == (3, 1)
    mistakes = {(m["id"], m["topic"]): m for m in data["mistakes"]}
    assert set(mistakes) == {("lake", "kuril"), ("itu", "kuril")}
    assert mistakes[("lake", "kuril")]["error"] == "false negative"
    assert mistakes[("lake", "kuril")]["reasons"] == ["no term counted"]
    itu = mistakes[("itu", "kuril")]
    assert itu["error"] == "false positive" and itu["hits"][0]["weight"] == 2.0
    scores = {(s["topic"], s["lang"]): s for s in data["scores"]}
    assert scores[("kuril", "en")]["precision"] == 0.0 and scores[("kuril", "en")]["fn"] == 1
    assert scores[("kuril", "ru")]["recall"] == 1.0
    text = run(config, str(path)).stdout
    assert "false positive: kuril [en] itu (line 2): 'Iturup airport'" in text
    assert "title[0:6] 'Iturup{,e,a}' +2" in text


def test_eval_reads_csv_and_html(config: Path, tmp_path: Path) -> None:
    html = (EVAL / "en_pos_visa_free.html").read_text(encoding="utf-8")
    path = tmp_path / "set.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "lang", "title", "text", "html", "topics"])
        writer.writeheader()
        writer.writerow({"id": "a", "lang": "en", "html": html, "topics": "kuril"})
        writer.writerow({"id": "b", "lang": "ja", "title": "円安", "text": "円相場", "topics": ""})
        writer.writerow(
            {"id": "c", "lang": "ru", "title": "Кунашир", "topics": "kuril; peace_treaty"}
        )
    result = run(config, "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scored"] == 3
    assert [(m["id"], m["topic"], m["error"]) for m in data["mistakes"]] == [
        ("c", "peace_treaty", "false negative")
    ]


def test_eval_floor_fails_with_the_cells_below_it(config: Path, tmp_path: Path) -> None:
    rows = [{"lang": "en", "title": "Kuril tea recipe", "text": "", "kuril": True}]
    path = write_jsonl(tmp_path / "set.jsonl", rows)
    result = run(config, "--min-recall", "0.98", str(path))
    assert result.exit_code == 1
    assert "below the floor: kuril [en]: precision 1.000, recall 0.000" in result.stderr
    only_treaty = run(config, "--min-recall", "0.98", "--topic", "peace_treaty", str(path))
    assert only_treaty.exit_code == 0, only_treaty.output  # the kuril label is not scored
    assert "0 documents scored" in only_treaty.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"lang": "en", "title": "x", "topics": []}\n{"lang": "en",\n', "line 2: not valid JSON"),
        ('{"lang": "en", "title": "x", "topics": ["fish"]}\n', "line 1: unknown topic 'fish'"),
        ('{"lang": "en", "title": "x", "fish": true}\n', "line 1: unknown topic 'fish'"),
        ('{"lang": "xx", "title": "x", "topics": []}\n', "line 1: unknown language 'xx'"),
        ('{"title": "x", "topics": []}\n', "line 1: unknown language (none)"),
        ('{"lang": "en", "title": "x"}\n', "line 1: no labels"),
        ('{"lang": "en", "topics": []}\n', "line 1: no text"),
        ('{"lang": "en", "title": "x", "kuril": "maybe"}\n', "line 1: 'kuril' must be true"),
        ("[1, 2]\n", "line 1: must be a JSON object"),
        ("\n\n", "no documents"),
    ],
)
def test_bad_labelled_file_is_one_line_exit_2(
    config: Path, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = run(config, str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and str(path) in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_missing_file_is_an_error(config: Path, tmp_path: Path) -> None:
    result = run(config, str(tmp_path / "none.jsonl"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and result.stderr.strip().count("\n") == 0
