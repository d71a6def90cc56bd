"""Language-aware full-text search: stemmed index, CJK trigram index, Datasette-visible FTS.

SQLite: ``articles_fts`` is rebuilt with ``tokenize="porter unicode61 remove_diacritics 2"``
and declared with ``content="articles"`` in double quotes (what Datasette detects); a new
FTS5 ``trigram`` table ``articles_fts_cjk`` indexes the Japanese, Chinese and Korean
articles only, kept in sync by triggers that look at the language.

PostgreSQL: ``articles.search_vector`` is regenerated with the ``english`` configuration
(stems Latin words, keeps Cyrillic as written), ``pg_trgm`` gets a partial GIN index over
the CJK articles' title and text (``ix_articles_search_cjk``), and
``ix_articles_listing`` orders articles newest first with undated ones last, for keyset
pagination. Both: ``ix_story_fingerprints_cluster_id_seen_at``, so the site finds a
story's other outlets around the article's time, and ``ix_articles_language_published_at``,
so a short CJK word is looked for in each CJK language's articles newest first. When ``pg_trgm`` cannot be installed (no privilege) the trigram index is left
out and CJK searches scan the CJK articles.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CJK = "('ja', 'zh', 'ko')"
DOCUMENT = "(coalesce(title, '') || ' ' || coalesce(text, ''))"


def upgrade() -> None:
    """Rebuild the full-text index of each database for stemmed and CJK search."""
    op.create_index(
        "ix_story_fingerprints_cluster_id_seen_at", "story_fingerprints", ["cluster_id", "seen_at"]
    )
    op.create_index("ix_articles_language_published_at", "articles", ["language", "published_at"])
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_fts()
        _sqlite_fts("porter unicode61 remove_diacritics 2")
        _sqlite_cjk()
    elif dialect == "postgresql":
        _pg_vector("english")
        _pg_cjk()
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_articles_listing "
            "ON articles (published_at DESC NULLS LAST, id DESC)"
        )


def downgrade() -> None:
    """Back to the 0001 index: the ``simple`` tokenizers, no CJK index."""
    op.drop_index("ix_story_fingerprints_cluster_id_seen_at", table_name="story_fingerprints")
    op.drop_index("ix_articles_language_published_at", table_name="articles")
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_fts()
        _sqlite_fts("unicode61 remove_diacritics 2")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_listing")
        op.execute("DROP INDEX IF EXISTS ix_articles_search_cjk")
        _pg_vector("simple")


def _drop_sqlite_fts() -> None:
    for name in ("ai", "ad", "au", "cjk_ai", "cjk_ad", "cjk_au"):
        op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{name}")
    op.execute("DROP TABLE IF EXISTS articles_fts_cjk")
    op.execute("DROP TABLE IF EXISTS articles_fts")


def _sqlite_fts(tokenize: str) -> None:
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        f'title, text, content="articles", content_rowid="id", tokenize="{tokenize}")'
    )
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
        "END"
    )


def _sqlite_cjk() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts_cjk USING fts5("
        'title, text, content="articles", content_rowid="id", tokenize="trigram")'
    )
    op.execute(
        "INSERT INTO articles_fts_cjk(rowid, title, text) "
        f"SELECT id, title, text FROM articles WHERE language IN {CJK}"
    )
    delete = (
        "INSERT INTO articles_fts_cjk(articles_fts_cjk, rowid, title, text) "
        f"SELECT 'delete', old.id, old.title, old.text WHERE old.language IN {CJK}; "
    )
    insert = (
        "INSERT INTO articles_fts_cjk(rowid, title, text) "
        f"SELECT new.id, new.title, new.text WHERE new.language IN {CJK}; "
    )
    op.execute(f"CREATE TRIGGER articles_fts_cjk_ai AFTER INSERT ON articles BEGIN {insert}END")
    op.execute(f"CREATE TRIGGER articles_fts_cjk_ad AFTER DELETE ON articles BEGIN {delete}END")
    op.execute(
        "CREATE TRIGGER articles_fts_cjk_au AFTER UPDATE OF title, text, language ON articles "
        f"BEGIN {delete}{insert}END"
    )


def _pg_vector(config: str) -> None:
    # A tsvector holds at most 1 MB, so only the first 500,000 characters are indexed (0001).
    op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
    op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{config}', left({DOCUMENT}, 500000))) STORED"
    )
    op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")


def _pg_cjk() -> None:
    if op.get_context().as_sql:
        return
    bind = op.get_bind()
    schema = _trgm_schema(bind)
    if schema is None:
        nested = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
            nested.commit()
        except sa.exc.DBAPIError:
            nested.rollback()
            return
        schema = _trgm_schema(bind)
    op.execute(
        f'CREATE INDEX ix_articles_search_cjk ON articles USING gin ({DOCUMENT} "{schema}".'
        f"gin_trgm_ops) WHERE language IN {CJK}"
    )


def _trgm_schema(bind: sa.Connection) -> str | None:
    return bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one_or_none()
