"""The read-only web site for analysts: topic pages, search, articles, Atom feeds, a JSON API."""
