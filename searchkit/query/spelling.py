"""Spelling correction ("did you mean …"): a query string -> the same query with misspelt words fixed.

In: the open index reader and the user's words. Out: the corrected query text, or None.

The dictionary is the index itself: the ``exact`` field's lexicon (every unstemmed word of every
title, summary and body), so suggestions are words the collection really holds and corrections
never lead to nothing. A word is corrected only when the collection does not hold it; its
replacement is the indexed word fewest edits away (Damerau–Levenshtein: a swap of two neighbouring
letters is one edit), the most frequent one among equals. Search only uses the correction when it
finds more stories than the query as typed (``match.find``). docs/benchmarks.md gives
the precision and recall of this on misspelt versions of the judged queries.
"""

from __future__ import annotations

import re

from searchkit.analysis import is_cjk

DICTIONARY_FIELD = "exact"
_WORD = re.compile(r"^(\W*)([^\W\d_][\w'’-]*[^\W_]|[^\W\d_]{2})(\W*)$")


def max_edits(word: str) -> int:
    """How many edits a word of this length may be corrected by (short words: fewer)."""
    if len(word) <= 3:
        return 0
    if len(word) <= 5:
        return 1
    return 2


def correct(reader, text: str) -> str | None:
    """``text`` with each word the index does not hold replaced by its likeliest correction."""
    if DICTIONARY_FIELD not in reader.schema:
        return None
    out = []
    changed = False
    for token in text.split():
        match = _WORD.match(token)
        if match is None:
            out.append(token)
            continue
        lead, word, tail = match.groups()
        fixed = correct_word(reader, word.lower())
        if fixed is None:
            out.append(token)
        else:
            out.append(lead + fixed + tail)
            changed = True
    return " ".join(out) if changed else None


def correct_word(reader, word: str) -> str | None:
    """The indexed word closest to ``word``, or None when it is known or nothing is close."""
    if is_cjk(word) or max_edits(word) == 0:
        return None
    if reader.doc_frequency(DICTIONARY_FIELD, word) > 0:
        return None
    candidates = suggestions(reader, word)
    return candidates[0] if candidates else None


def suggestions(reader, word: str, limit: int = 5) -> list[str]:
    """Indexed words within ``max_edits(word)`` edits, closest first, then most frequent."""
    limit_edits = max_edits(word)
    if limit_edits == 0:
        return []
    scored = []
    for found in reader.terms_within(DICTIONARY_FIELD, word, limit_edits):
        if found == word or is_cjk(found) or any(ch.isdigit() for ch in found):
            continue
        edits = edit_distance(word, found)
        if edits > limit_edits:
            continue
        scored.append((edits, -reader.doc_frequency(DICTIONARY_FIELD, found), found))
    scored.sort()
    return [found for _, _, found in scored[:limit]]


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (optimal string alignment)."""
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
