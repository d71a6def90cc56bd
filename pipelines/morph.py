"""Russian inflection for topic rules: a rule word written ``~Кунашир`` stands for every
form of that word that pymorphy3's dictionary (OpenCorpora) knows, minus the forms that are
also forms of another word. Used only when rules are compiled, never per document.

Why generate forms from a dictionary rather than stem: a Snowball stem of "Курилы" is
"курил", which is also "he smoked"; a dictionary knows the paradigm of the noun and, for each
form, which other lemmas share it, so "курил" (also the past tense of курить) can be dropped
while "Курилах" is kept. The generated forms go into the same Aho-Corasick automaton as
every other term, so matching stays one pass with exact, word-bounded hits.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

# Parts of speech whose whole paradigm a rule may want; comparatives, short adjectives and
# adverbs made from an adjective are not the same word for a topic rule.
_KEEP_POS = {"NOUN", "ADJF", "PRTF", "NPRO"}


class MorphError(ValueError):
    """A ``~word`` cannot be inflected (unknown word, not Russian, pymorphy3 missing)."""


def load() -> None:
    """Load the dictionary now (~0.5 s), e.g. in a fork server whose children compile rules."""
    _analyzer()


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        pymorphy3 = importlib.import_module("pymorphy3")
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise MorphError("~word needs pymorphy3 and pymorphy3-dicts-ru installed") from err
    return pymorphy3.MorphAnalyzer(lang="ru")


def _check(word: str) -> str:
    """The word lower-cased with ё as е, if it is a Russian word (hyphens allowed)."""
    low = word.casefold().replace("ё", "е")
    if not low or not all("\u0400" <= ch <= "\u04ff" or ch == "-" for ch in low):
        raise MorphError(f"~{word}: only single Russian words can be inflected")
    if low.strip("-") != low:
        raise MorphError(f"~{word}: only single Russian words can be inflected")
    return low


def _best_parse(word: str, low: str) -> Any:
    """The dictionary reading of a word with the most useful part of speech."""
    parses = [p for p in _analyzer().parse(low) if p.is_known and p.tag.POS in _KEEP_POS]
    if not parses:
        raise MorphError(f"~{word}: not in the Russian dictionary; spell the forms with braces")
    return parses[0]


@lru_cache(maxsize=4096)
def word_forms(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(forms, homonym forms) of a dictionary word, lower-case, ё as е.

    A homonym form is also a form of another dictionary word ("курил": курить); a rule
    keeps it only inside a phrase, where the neighbouring words disambiguate.
    """
    low = _check(word)
    if "-" in low:  # Курило-Камчатский: the last part inflects, the first stays
        head, tail = low.rsplit("-", 1)
        tail_kept, tail_homonyms = word_forms(tail)
        return tuple(f"{head}-{f}" for f in tail_kept), tuple(f"{head}-{f}" for f in tail_homonyms)
    best = _best_parse(word, low)
    lemma = best.normal_form
    forms = {
        f.word.replace("ё", "е")
        for f in best.lexeme
        if f.tag.POS == best.tag.POS and not {"Supr", "Cmp2"} & f.tag.grammemes
    }
    kept: list[str] = []
    dropped: list[str] = []
    for form in sorted(forms):
        others = {
            p.normal_form for p in _analyzer().parse(form) if p.is_known and "Arch" not in p.tag
        } - {lemma}
        (dropped if others else kept).append(form)
    return tuple(kept), tuple(dropped)


_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def _inflect(word: str, grammemes: frozenset[str]) -> str | None:
    """One ``~word`` put in the given case, number (and gender, animacy); None if it has none."""
    low = _check(word)
    head = ""
    if "-" in low:
        head, low = low.rsplit("-", 1)
        head += "-"
    parse = _best_parse(word, low)
    if parse.tag.POS == "NOUN":
        grammemes = grammemes - {"masc", "femn", "neut", "anim", "inan"}
    form = parse.inflect(set(grammemes)) or parse.inflect(set(grammemes - {"anim", "inan"}))
    return None if form is None else head + form.word.replace("ё", "е")


def _agreement(words: tuple[str, ...]) -> frozenset[str]:
    """Gender and animacy of the phrase's first ``~noun``, for its adjectives to agree."""
    for w in words:
        if w.startswith("~"):
            low = _check(w[1:]).rsplit("-", 1)[-1]
            tag = _best_parse(w[1:], low).tag
            if tag.POS == "NOUN":
                return frozenset(g for g in (tag.gender, tag.animacy) if g)
    return frozenset()


@lru_cache(maxsize=1024)
def phrase_forms(words: tuple[str, ...]) -> tuple[str, ...]:
    """Every case and number of a phrase whose ``~words`` agree (Южные Курилы → Южных
    Курилах, ...); words without ``~`` stay as written. Lower-case, ё as е."""
    out: list[str] = [" ".join(w.lstrip("~").casefold().replace("ё", "е") for w in words)]
    agree = _agreement(words)
    for case in _CASES:
        for number in ("sing", "plur"):
            extra = agree if number == "sing" else agree & {"anim", "inan"}
            if case != "accs":
                extra = extra - {"anim", "inan"}
            grammemes = frozenset({case, number}) | extra
            parts = [_inflect(w[1:], grammemes) if w.startswith("~") else w for w in words]
            if all(parts):
                out.append(" ".join(p.casefold() for p in parts if p))
    return tuple(dict.fromkeys(out))


_CYRILLIC_WORD = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюя-")


@lru_cache(maxsize=4096)
def search_forms(word: str) -> tuple[str, ...]:
    """Every form of a searched Russian word (lower-case, ё as е), the word itself first.

    A search for "Кунашир" should find "на Кунашире": each dictionary reading of the word
    (or, for an unknown word, the best guess from its ending) adds its paradigm, except
    the forms that are also forms of another word, as in topic rules: "Курилы" finds
    "Курилах" but not "курил" (he smoked), unless "курил" is what was searched. Anything
    that is not a Russian word is returned as it is.
    """
    low = word.casefold().replace("ё", "е")
    if not low or not set(low) <= _CYRILLIC_WORD or not low.strip("-"):
        return (low,)
    try:
        parses = _analyzer().parse(low)
    except MorphError:  # pragma: no cover - pymorphy3 missing: search the word as written
        return (low,)
    readings = [p for p in parses if p.is_known] or parses[:1]
    forms: set[str] = set()
    for parse in readings:
        for form in {f.word.replace("ё", "е") for f in parse.lexeme}:
            if form not in forms and not _other_lemmas(form, parse.normal_form):
                forms.add(form)
    return (low, *sorted(forms - {low}))


@lru_cache(maxsize=65536)
def _other_lemmas(form: str, lemma: str) -> bool:
    """True when ``form`` is also a form of a dictionary word other than ``lemma``."""
    return any(
        p.normal_form != lemma
        for p in _analyzer().parse(form)
        if p.is_known and "Arch" not in p.tag
    )
