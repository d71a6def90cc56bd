"""The OpenAPI 3.0 description of the JSON API, checked against the live server by tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web.params import MAX_LIMIT

_NSTR = {"type": "string", "nullable": True}
_TIME = {"type": "string", "format": "date-time", "nullable": True}

ARTICLE: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "url",
        "title",
        "source",
        "published",
        "language",
        "topics",
        "snippet",
        "author",
        "score",
    ],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "url": {"type": "string"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "published": _TIME,
        "language": _NSTR,
        "topics": {"type": "array", "items": {"type": "string"}},
        "snippet": _NSTR,
        "author": _NSTR,
        "score": {"type": "number", "nullable": True},
        "also_in": {
            "type": "array",
            "items": {"type": "string"},
            "description": "other sources carrying the same story (list endpoints only)",
        },
    },
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def _param(
    name: str, description: str, schema: dict[str, Any], many: bool = False
) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if many else {}),
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "malformed parameter", 404: "unknown article", 503: "database unavailable"}
    return {str(c): _json(ERROR, text[c]) for c in codes}


def spec(topics: Sequence[str]) -> dict[str, Any]:
    """The OpenAPI document, with the configured topic ids as the ``topic`` enum."""
    list_params = [
        _param(
            "topic",
            "only articles flagged for this topic",
            {"type": "string", "enum": list(topics)},
        ),
        _param(
            "source",
            "only these sources",
            {"type": "string", "pattern": "^[a-z0-9._-]+$"},
            many=True,
        ),
        _param(
            "lang",
            "only these languages (en, ru, ja, ...)",
            {"type": "string", "pattern": "^[a-z]{2,3}$"},
            many=True,
        ),
        _param(
            "relevance",
            "only matches at this level: stories about a topic, or passing mentions",
            {"type": "string", "enum": ["about", "mentions"]},
        ),
        _param(
            "since",
            "published at or after (YYYY-MM-DD or ISO 8601)",
            {"type": "string", "format": "date"},
        ),
        _param(
            "until",
            "published before; a date includes that day",
            {"type": "string", "format": "date"},
        ),
        _param(
            "q",
            "full-text search",
            {"type": "string", "maxLength": 500, "pattern": "^[^\\x00-\\x1f]*$"},
        ),
        _param("cursor", "next_cursor of the previous page", {"type": "string"}),
        _param(
            "limit", "articles per page", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
        ),
    ]
    article_page = {
        "type": "object",
        "required": ["articles", "next_cursor"],
        "properties": {"articles": {"type": "array", "items": ARTICLE}, "next_cursor": _NSTR},
    }
    detail = {
        "type": "object",
        "required": [
            "id",
            "url",
            "title",
            "source",
            "published",
            "language",
            "version",
            "text",
            "matches",
            "versions",
            "cluster",
        ],
        "properties": {
            **{
                k: ARTICLE["properties"][k]
                for k in ("id", "url", "title", "source", "published", "language", "author")
            },
            "version": {"type": "integer"},
            "text": {"type": "string"},
            "matches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["topic", "score", "terms", "hits"],
                    "properties": {
                        "topic": {"type": "string"},
                        "score": {"type": "number"},
                        "terms": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "hits": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
            "versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["version", "seen_at"],
                    "properties": {"version": {"type": "integer"}, "seen_at": _TIME},
                },
            },
            "cluster": {"type": "array", "items": ARTICLE},
        },
    }
    topic = {
        "type": "object",
        "required": ["id", "name", "today", "week", "trend"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "today": {"type": "integer"},
            "week": {"type": "integer"},
            "trend": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 30,
                "maxItems": 30,
            },
        },
    }
    source = {
        "type": "object",
        "required": ["source", "enabled", "failures", "new_24h"],
        "properties": {
            "source": {"type": "string"},
            "enabled": {"type": "boolean"},
            "language": _NSTR,
            "last_poll": _TIME,
            "last_status": {"type": "integer", "nullable": True},
            "new_24h": {"type": "integer"},
            "failures": {"type": "integer"},
            "next_poll": _TIME,
            "interval": {"type": "number", "nullable": True},
            "error": _NSTR,
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "wirewatch",
            "version": "1",
            "description": "Read-only access to the "
            "articles wirewatch collected, as `wirewatch query` gives them.",
        },
        "paths": {
            "/api/articles": {
                "get": {
                    "operationId": "listArticles",
                    "summary": "articles, newest first",
                    "parameters": list_params,
                    "responses": {
                        "200": _json(article_page, "a page of articles"),
                        **_errors(400, 503),
                    },
                }
            },
            "/api/articles/{article_id}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "one article with its evidence",
                    "parameters": [
                        {
                            "name": "article_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": {"200": _json(detail, "the article"), **_errors(404, 503)},
                }
            },
            "/api/topics": {
                "get": {
                    "operationId": "listTopics",
                    "summary": "topics with counts",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["topics"],
                                "properties": {"topics": {"type": "array", "items": topic}},
                            },
                            "every topic",
                        ),
                        **_errors(503),
                    },
                }
            },
            "/api/sources": {
                "get": {
                    "operationId": "listSources",
                    "summary": "sources with their polling state",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["sources"],
                                "properties": {"sources": {"type": "array", "items": source}},
                            },
                            "every source",
                        ),
                        **_errors(503),
                    },
                }
            },
        },
    }
