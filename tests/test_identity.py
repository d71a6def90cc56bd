"""Article identity: canonical URLs, variant keys (AMP, mobile, http/https), story clusters."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from pipelines.simhash import distance, simhash, to_signed
from pipelines.worker import article_url
from scrapers.urls import canonicalize_url, identity_key
from storage import identity, writes
from tests.conftest import article, utc

AMP_CASES = [
    ("https://www.japantimes.co.jp/news/2026/11/27/national/kuril/amp/", "https://www.japantimes.co.jp/news/2026/11/27/national/kuril"),
    ("https://tass.com/amp/politics/1900001", "https://tass.com/politics/1900001"),
    ("https://ria.ru/20261127/kurily-1990001.html?outputType=amp", "https://ria.ru/20261127/kurily-1990001.html"),
    ("https://ria.ru/20261127/kurily-1990001.html?outputType=AMP&utm_source=yxnews", "https://ria.ru/20261127/kurily-1990001.html"),
    ("https://www.example.com/story.amp.html", "https://www.example.com/story.html"),
    ("https://www.example.com/story?amp=1&id=4", "https://www.example.com/story?id=4"),
    ("https://www.example.com/story?amp", "https://www.example.com/story"),
    ("https://www.example.com/amp", "https://www.example.com/amp"),  # a page called "amp" stays
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), AMP_CASES)
def test_amp_markers_are_dropped(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected
    assert canonicalize_url(expected) == expected


VARIANTS = [
    "https://www.mainichi.jp/english/articles/20261127/p2g/00m/0na/010000c",
    "http://mainichi.jp/english/articles/20261127/p2g/00m/0na/010000c/",
    "https://m.mainichi.jp/english/articles/20261127/p2g/00m/0na/010000c#top",
    "https://amp.mainichi.jp/english/articles/20261127/p2g/00m/0na/010000c/amp",
    "https://mainichi.jp/english/articles/20261127/p2g/00m/0na/010000c?utm_source=rss&fbclid=x",
]


def test_variants_of_one_story_share_an_identity_key() -> None:
    assert len({identity_key(u) for u in VARIANTS}) == 1
    assert identity_key("https://m.tass.ru/politika/1") != identity_key(
        "https://m.tass.ru/politika/2"
    )
    assert identity_key("https://tass.com/a") != identity_key("https://tass.ru/a")


def test_same_site_rel_canonical_wins_over_the_fetched_url() -> None:
    fetched = "https://m.tass.com/amp/politics/1900001?utm_source=rss"
    assert (
        article_url(fetched, "https://tass.com/politics/1900001/")
        == "https://tass.com/politics/1900001"
    )
    assert (
        article_url(fetched, "https://other.example/politics/1")
        == "https://m.tass.com/politics/1900001"
    )
    assert article_url(fetched, "https://tass.com/") == "https://m.tass.com/politics/1900001"


def test_mobile_amp_and_http_variants_are_stored_as_one_article(session: Session) -> None:
    first = article(VARIANTS[0], text_="Officials met in Tokyo.", fetched_at=utc(2026, 11, 27, 1))
    records = identity.resolve_variants(session, [first], identity_key)
    assert writes.store_articles(session, None, records) == ["new"]
    identity.remember_keys(session, [r.url for r in records], identity_key)

    again = [article(canonicalize_url(u), text_="Officials met in Tokyo.") for u in VARIANTS[1:]]
    resolved = identity.resolve_variants(session, again, identity_key)
    assert {r.url for r in resolved} == {VARIANTS[0]}
    assert writes.store_articles(session, None, resolved) == ["unchanged"] * 4

    revised = article(VARIANTS[2], text_="Officials met in Tokyo on Friday.")
    resolved = identity.resolve_variants(session, [revised], identity_key)
    assert writes.store_articles(session, None, resolved) == ["updated"]
    assert session.execute(text("select count(*), max(version) from articles")).one() == (1, 2)
    history = identity.version_changes(session, VARIANTS[0])
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["title_changed"] is False
    assert (history[1]["added"], history[1]["removed"]) == (3, 1)  # "Tokyo." -> "Tokyo on Friday."


WIRE_STORY = (
    "Japan and Russia held a first round of consultations on joint economic activity on the "
    "southern Kuril Islands, the Japanese Foreign Ministry said on Friday. Officials discussed "
    "fisheries, tourism and visa-free visits by former island residents, and agreed to meet "
    "again next month in Moscow. Tokyo calls the islands the Northern Territories."
)


def test_simhash_near_duplicates_are_close_and_others_far() -> None:
    republished = "TOKYO (Kyodo) -- " + WIRE_STORY.replace("on Friday", "on Friday morning")
    other = (
        "Farmers in the Mekong Delta finished the winter-spring rice harvest early this year, " * 3
    )
    assert distance(simhash(WIRE_STORY), simhash(republished)) <= identity.MAX_DISTANCE
    assert distance(simhash(WIRE_STORY), simhash(other)) > 16
    h = simhash(WIRE_STORY)
    assert to_signed(h) % 2**64 == h and -(2**63) <= to_signed(h) < 2**63
    assert simhash("") == 0


def test_republished_story_joins_the_cluster_of_the_first(session: Session) -> None:
    republished = "TOKYO (Kyodo) -- " + WIRE_STORY.replace("next month", "in December")
    records = [
        article("https://english.kyodonews.net/news/a1.html", text_=WIRE_STORY, source="kyodo"),
        article("https://www.japantimes.co.jp/news/kuril", text_=republished, source="jt"),
        article("https://tass.com/economy/1", text_="The rouble rose. " * 20, source="tass"),
    ]
    assert writes.store_articles(session, None, records) == ["new"] * 3
    prints = [identity.StoryPrint(r.url, to_signed(simhash(r.text)), r.fetched_at) for r in records]
    clusters = identity.assign_clusters(session, prints)
    assert clusters[records[0].url] == clusters[records[1].url] != clusters[records[2].url]
    stored = session.execute(text("SELECT cluster_id FROM story_fingerprints ORDER BY article_id"))
    assert [c for (c,) in stored] == [clusters[r.url] for r in records]
    # fingerprinting the same article again (an update) keeps its cluster
    again = identity.assign_clusters(session, prints[1:2])
    assert again[records[1].url] == clusters[records[0].url]


def _reference_simhash(text: str) -> int:
    """The first implementation (bit counters packed in one integer), kept to pin the output."""
    import hashlib
    import unicodedata

    from pipelines.simhash import _TOKEN_RE, MAX_FEATURES

    tokens = _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())
    if not tokens:
        return 0
    grams = [" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))][:MAX_FEATURES]
    spread = [sum(1 << (16 * i) for i in range(8) if byte >> i & 1) for byte in range(256)]
    packed = 0
    for gram in grams:
        digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
        for i, byte in enumerate(digest):
            packed += spread[byte] << (16 * 8 * (7 - i))
    half = len(grams) / 2
    return sum(1 << bit for bit in range(64) if (packed >> (16 * bit)) & 0xFFFF > half)


@pytest.mark.parametrize(
    "text",
    [WIRE_STORY, "one two", "北方領土の返還交渉について", "Курилы " * 3000, "a b c d e f g h"],
)
def test_simhash_is_stable_across_implementations(text: str) -> None:
    """Stored fingerprints stay comparable: the vectorised version gives the same bits."""
    assert simhash(text) == _reference_simhash(text)


def test_vectorised_nearest_matches_the_pairwise_rule() -> None:
    """Closest print within the bound, first stored on ties, own print and zero skipped."""
    import random

    rng = random.Random(7)
    base = [rng.getrandbits(64) for _ in range(5)]

    def near(h: int) -> int:  # a print a few bits away from h
        for _ in range(rng.randrange(0, 14)):
            h ^= 1 << rng.randrange(64)
        return h

    rows = [(i, to_signed(near(base[i % 5])), 1000 + i % 7) for i in range(40)]
    recent = identity._Recent(rows)
    reference = {a: (h, c) for a, h, c in rows}
    for step in range(400):
        article_id = rng.choice([rng.randrange(40), 40 + step])
        fingerprint = 0 if step % 50 == 0 else to_signed(near(base[step % 5]))
        if step % 7 == 3:  # an isolated story, or one re-fingerprinted unchanged
            fingerprint = reference.get(article_id, (to_signed(rng.getrandbits(64)), 0))[0]
        best: tuple[int, int] | None = None
        for other_id, (other, cluster) in reference.items():
            if other_id == article_id or fingerprint == 0:
                continue
            d = distance(fingerprint, other)
            if d <= identity.MAX_DISTANCE and (best is None or d < best[0]):
                best = (d, cluster)
        expected = best[1] if best else article_id
        assert recent.nearest(fingerprint, article_id, identity.MAX_DISTANCE) == expected
        recent.put(article_id, fingerprint, expected)
        reference[article_id] = (fingerprint, expected)
