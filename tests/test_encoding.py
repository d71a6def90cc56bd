"""decode_html on hand-written pages in the encodings wire sites serve."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.encoding import decode_html, normalize_charset

PAGES = Path(__file__).parent / "fixtures" / "pages"
RU_TITLE = "Паромное сообщение с островом возобновится в понедельник"
JA_TITLE = "離島へのフェリー、月曜日に運航再開へ"
EN_TITLE = "Café owners in Zürich welcome the new ferry timetable"


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("ru_cp1251_meta.html", None, RU_TITLE),
        ("ru_cp1251_meta.html", "text/html", RU_TITLE),
        ("ru_cp1251_undeclared.html", None, RU_TITLE),
        ("ru_cp1251_declared_latin1.html", None, RU_TITLE),
        ("ru_koi8r_http_only.html", "text/html; charset=KOI8-R", RU_TITLE),
        ("ja_shift_jis.html", None, JA_TITLE),
        ("ja_euc_jp.html", None, JA_TITLE),
        ("en_utf8_declared_latin1.html", None, EN_TITLE),
        ("en_utf8_declared_latin1.html", "text/html; charset=iso-8859-1", EN_TITLE),
    ],
)
def test_fixture_pages_decode_to_their_text(
    name: str, content_type: str | None, expected: str
) -> None:
    """Each page decodes to the text it was written from, whatever it declares."""
    text = decode_html((PAGES / name).read_bytes(), content_type)
    assert f"<title>{expected}</title>" in text
    assert "\ufffd" not in text


def test_wrong_http_charset_falls_back_to_meta() -> None:
    """A header charset that cannot decode the bytes is not trusted over the meta tag."""
    body = (PAGES / "ja_shift_jis.html").read_bytes()
    assert JA_TITLE in decode_html(body, "text/html; charset=utf-8")


def test_bom_wins_over_declarations() -> None:
    """A UTF-8 byte-order mark decides, and is not part of the text."""
    body = "\ufeff<html><meta charset='windows-1251'><p>Привет</p></html>".encode()
    assert decode_html(body, "text/html; charset=koi8-r").startswith("<html><meta")
    assert "Привет" in decode_html(body, None)


def test_utf16_bom() -> None:
    """A UTF-16 page with a byte-order mark decodes."""
    body = "<html><p>東京</p></html>".encode("utf-16")
    assert "東京" in decode_html(body, None)


def test_latin1_page_really_in_latin1_stays_latin1() -> None:
    """A genuine Western page is not "corrected" into something else."""
    html = "<html><meta charset='iso-8859-1'><p>Grüße aus Köln, schöne Tage</p></html>"
    assert "Grüße aus Köln" in decode_html(html.encode("latin-1"), None)


def test_windows_1252_quotes_under_latin1_label() -> None:
    """ISO-8859-1 means windows-1252 on the web (curly quotes in 0x80-0x9f)."""
    body = "<html><meta charset='ISO-8859-1'><p>“quoted” — text</p></html>".encode("cp1252")
    assert "“quoted” — text" in decode_html(body, None)


def test_empty_body() -> None:
    """Nothing in, nothing out."""
    assert decode_html(b"", "text/html") == ""


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("EUC-JP", "euc_jp"),
        ("GB2312", "gb18030"),
        ("windows-1251", "cp1251"),
        ("KOI8-R", "koi8-r"),
        ("utf8", "utf-8"),
        ("no-such-charset", None),
    ],
)
def test_normalize_charset(label: str, codec: str | None) -> None:
    """Charset labels map to the codecs that decode what the page means."""
    assert normalize_charset(label) == codec
