"""Spelling correction ("did you mean …"): a query string -> the same query with misspelt words fixed.

In: the open index reader and the user's words. Out: a ``Correction`` — the text to search (misspelt
words replaced), and a fuller suggestion when some misspelt words look like names — or None.

The dictionary is the index itself: the ``exact`` field's lexicon (every unstemmed word of every
title, summary and body), so suggestions are words the collection really holds and corrections
never lead to nothing. A word is corrected only when the index holds it in no form a search would
match (``known``): not unstemmed, not through its stem, not in a name field, and not a stop word
(too common to be indexed, but spelled right: "with" is not a misspelling of "width"). Checking the
unstemmed lexicon alone rewrote 57 words of Cranfield's queries and 32 of CACM's that the
collection holds (bench/rewrites.py). Its replacement is the indexed word fewest edits away
(Damerau–Levenshtein: a swap of two neighbouring letters is one edit), the most frequent one among
equals.

A word that looks like a name (``name_like``: capitalised where capitals are not just the start of
a sentence) is never replaced, only suggested: a name the collection lacks is far likelier than a
misspelt one, and its nearest word ("Greta" -> "great") is a different search. Search only uses a
correction when it finds more stories than the query as typed (``match.find``). docs/benchmarks.md
gives the precision and recall of this on misspelt versions of the judged queries.

No "far rarer than the suggestion" rule rewrites a word the index does hold: every such rewrite is
of a word some article contains, which is what the user may be looking for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from searchkit.analysis import QUERY_STOP_WORDS, STOP_WORDS, TOKEN_PATTERN, is_cjk, stem

DICTIONARY_FIELD = "exact"
STEMMED_FIELDS = ("title", "summary", "body")  # a word whose stem these hold matches as typed
NAME_FIELDS = ("authors", "site", "category", "tags")  # lowercased, not stemmed
_WORD = re.compile(r"^(\W*)([^\W\d_][\w'’-]*[^\W_]|[^\W\d_]{2})(\W*)$")


@dataclass(frozen=True, slots=True)
class WordFix:
    """One typed word and the indexed word proposed for it."""

    typed: str
    fixed: str
    name_like: bool  # only suggested, never searched unasked


@dataclass(frozen=True, slots=True)
class Correction:
    """What spelling correction proposes for one query text."""

    typed: str
    text: str  # the typed text with each misspelt word that is not name-like replaced
    suggestion: str  # ... and the name-like ones too (equal to ``text`` when there are none)
    fixes: list[WordFix] = field(default_factory=list)

    @property
    def replaces(self) -> bool:
        """Whether any word is replaced (searched instead of what was typed)."""
        return self.text != self.typed

    @property
    def suggests(self) -> bool:
        """Whether some name-like word has a suggestion that is only offered."""
        return self.suggestion != self.text


def max_edits(word: str) -> int:
    """How many edits a word of this length may be corrected by (short words: fewer)."""
    if len(word) <= 3:
        return 0
    if len(word) <= 5:
        return 1
    return 2


def correct(reader: Any, text: str) -> Correction | None:
    """What to search for ``text``: each word the index does not hold replaced by its likeliest
    correction (name-like words only in the suggestion); None when no word has one."""
    if DICTIONARY_FIELD not in reader.schema:
        return None
    tokens = text.split()
    searched: list[str] = []
    suggested: list[str] = []
    fixes: list[WordFix] = []
    for i, token in enumerate(tokens):
        match = _WORD.match(token)
        fixed = None
        if match is not None:
            lead, word, tail = match.groups()
            fixed = correct_word(reader, word.lower())
        if fixed is None:
            searched.append(token)
            suggested.append(token)
            continue
        name = name_like(tokens, i)
        fixes.append(WordFix(word, fixed, name))
        suggested.append(lead + fixed + tail)
        searched.append(token if name else lead + fixed + tail)
    if not fixes:
        return None
    return Correction(text, " ".join(searched), " ".join(suggested), fixes)


def name_like(tokens: list[str], i: int) -> bool:
    """Whether the ``i``-th typed word looks like a name: an acronym, or capitalised where a
    capital is not just the start of a sentence (a later word, or a first word followed by
    another capitalised one, as in "Greta Thunberg").

    The index lowercases every word, so it cannot say which words are names; the typed case is the
    only sign. A first word alone is not taken as a name: queries typed as sentences ("Hongboa
    etiquette") capitalise it too.
    """

    def letters(token: str) -> str:
        return "".join(ch for ch in token if ch.isalpha())

    word = letters(tokens[i])
    if not word or not word[0].isupper():
        return False
    if len(word) > 1 and word.isupper():
        return True
    if i > 0:
        return True
    following = letters(tokens[1]) if len(tokens) > 1 else ""
    return bool(following) and following[0].isupper()


def known(reader: Any, word: str) -> bool:
    """Whether a search for ``word`` (lowercased) already matches something, or it is a stop word.

    The unstemmed lexicon alone is not enough: "obeyed" is in no Cranfield abstract, but its stem
    is, so the word as typed finds articles; stop words are in no lexicon at all.
    """
    if word in STOP_WORDS or word in QUERY_STOP_WORDS:
        return True
    schema = reader.schema
    if reader.doc_frequency(DICTIONARY_FIELD, word) > 0:
        return True
    stemmed = stem(word)
    for name in STEMMED_FIELDS:
        if name in schema and reader.doc_frequency(name, stemmed) > 0:
            return True
    return any(name in schema and reader.doc_frequency(name, word) > 0 for name in NAME_FIELDS)


def correct_word(reader: Any, word: str) -> str | None:
    """The indexed word closest to ``word``, or None when it is known or nothing is close.

    A word the tokenizer splits ("e-mail", "don't") is left alone: its pieces are what the index
    matches, and replacing the whole by one indexed word would change more than a typo.
    """
    if is_cjk(word) or max_edits(word) == 0:
        return None
    if [m.group(0) for m in TOKEN_PATTERN.finditer(word)] != [word]:
        return None
    if known(reader, word):
        return None
    candidates = suggestions(reader, word)
    return candidates[0] if candidates else None


def suggestions(reader: Any, word: str, limit: int = 5) -> list[str]:
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
