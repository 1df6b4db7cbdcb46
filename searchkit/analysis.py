"""Text analysis: a string -> the terms the index holds (and a query is turned into).

English (and any other space-separated script) is split into words, lowercased, stop-filtered and
Porter-stemmed, as before. Chinese, Japanese and Korean text has no spaces, so a run of CJK
characters becomes its overlapping two-character pieces ("芝麻信用" -> 芝麻 麻信 信用) at successive
positions; a lone character stays itself. A query such as 信用 is then one term, and 芝麻信用 a phrase
of three, so any word inside Chinese text can be found without a dictionary (docs/benchmarks.md
compares this with the jieba segmenter). The same tokenizer, without the stemmer, feeds the
``exact`` field that rewards unstemmed matches and supplies spelling suggestions.

Queries go through the Whoosh analyzers below. Indexing goes through ``index_words`` and
``term_positions``, which give exactly the terms and positions those analyzers give (tests/ check
it against them) without Whoosh's generator-of-Token chain: lists and C-level string methods,
about 3x faster on a 600-word article.
"""

from __future__ import annotations

import re
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from operator import sub
from pickle import dumps

import Stemmer  # PyStemmer: the Snowball project's own stemmers, in C
from whoosh.analysis import (
    STOP_WORDS,
    Analyzer,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)

# Words a typed query drops when it has others (the index keeps them, so phrases still find
# them): English function words, NLTK's list of 179. Whoosh's 34 stop words leave "what",
# "which", "about", "i", "how" in a question typed as a sentence, where a rare one outscores the
# words that say what is wanted. Measured on both dev collections (docs/benchmarks.md): CACM
# nDCG@10 0.4906 -> 0.5005, Cranfield 0.3753 -> 0.3794. A query made only of them is searched
# as typed ("The Who").
QUERY_STOP_WORDS = frozenset(
    """a about above after again against ain all am an and any are aren aren't as at be because
    been before being below between both but by can couldn couldn't d did didn didn't do does
    doesn doesn't doing don don't down during each few for from further had hadn hadn't has hasn
    hasn't have haven haven't having he her here hers herself him himself his how i if in into is
    isn isn't it it's its itself just ll m ma me mightn mightn't more most mustn mustn't my myself
    needn needn't no nor not now o of off on once only or other our ours ourselves out over own re
    s same shan shan't she she's should should've shouldn shouldn't so some such t than that
    that'll the their theirs them themselves then there these they this those through to too
    under until up ve very was wasn wasn't we were weren weren't what when where which while who
    whom why will with won won't wouldn wouldn't y you you'd you'll you're you've your yours
    yourself yourselves""".split()  # noqa: SIM905 (a list of 179 literals reads worse)
)

# Hiragana, Katakana, CJK ideographs (with extension A, compatibility, and the supplementary
# planes) and Hangul syllables: scripts written without spaces between words.
CJK_RANGES = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f"
)
# Whoosh's default word pattern. A word holding CJK characters is split further (below): a
# pattern excluding them from \\w directly takes ~12 ms to compile, a cost every cold `search` pays.
TOKEN_PATTERN = re.compile(r"\w+(?:\.?\w+)*")
# (_clitic) A one-letter word right after an apostrophe is a clitic ("WeChat's", "don't"), not a word: kept,
# "WeChat's" would analyse to two terms and be searched as the phrase "wechat s".
_APOSTROPHES = "'’"


@lru_cache(maxsize=1)
def _clitic() -> re.Pattern[str]:
    """``_CLITIC``'s pattern, compiled on first use (1.6 ms: not on every cold `search`)."""
    return re.compile(f"(?<=['’])[^\\W{CJK_RANGES}](?!\\.?\\w)")
CJK_RUN = re.compile(f"[{CJK_RANGES}]+")


def split_cjk(text: str, start: int = 0):
    """(piece, offset, is_cjk) for the CJK and non-CJK runs of one word, in order."""
    if text.isascii():
        yield text, start, False
        return
    cursor = 0
    for run in CJK_RUN.finditer(text):
        if run.start() > cursor:
            yield text[cursor : run.start()], start + cursor, False
        yield run.group(0), start + run.start(), True
        cursor = run.end()
    if cursor < len(text):
        yield text[cursor:], start + cursor, False


def is_cjk(text: str) -> bool:
    return bool(text) and CJK_RUN.fullmatch(text) is not None


class CJKBigramTokenizer(Tokenizer):
    """Words as Whoosh's default tokenizer finds them; CJK runs as overlapping bigrams.

    Words shorter than ``min_word`` characters are dropped (Whoosh's stop filter does that by
    default, but it would drop a lone CJK character too, which is a word).
    """

    def __init__(self, min_word: int = 1) -> None:
        self.min_word = min_word

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and getattr(other, "min_word", 1) == getattr(
            self, "min_word", 1
        )

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        pos = start_pos
        min_word = getattr(self, "min_word", 1)

        def emit(piece: str, offset: int) -> Token:
            token.text = piece
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = piece
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + offset
                token.endchar = start_char + offset + len(piece)
            return token

        for match in TOKEN_PATTERN.finditer(value):
            word = match.group(0)
            if (
                len(word) == 1
                and match.start()
                and value[match.start() - 1] in _APOSTROPHES
                and not is_cjk(word)
            ):
                continue  # a clitic (_clitic)
            if word.isascii():  # nearly every word: no CJK to split off
                if len(word) >= min_word:
                    yield emit(word, match.start())
                    pos += 1
                continue
            for text, start, cjk in split_cjk(word, match.start()):
                if not cjk:
                    # a word cut at a CJK character may keep the dot that joined them
                    trimmed = text.lstrip(".")
                    start += len(text) - len(trimmed)
                    text = trimmed.rstrip(".")
                    if len(text) >= min_word:
                        yield emit(text, start)
                        pos += 1
                elif len(text) == 1:
                    yield emit(text, start)
                    pos += 1
                else:
                    for i in range(len(text) - 1):
                        yield emit(text[i : i + 2], start + i)
                        pos += 1


# Snowball English (Porter2), not Whoosh's Porter: measured on the tuning halves of Cranfield and
# CACM (bench/tune_ranking.py, docs/benchmarks.md), it gained 0.013 nDCG@10 on CACM and cost
# 0.002 on Cranfield; Whoosh's own pure-Python Snowball port differs from the reference on words
# like "added" (-> "ad") and is 6x slower than PyStemmer. A stemmer object per thread: PyStemmer's
# are not safe to share (the web server searches from a thread pool).
_STEMMERS = threading.local()


def _snowball(word: str) -> str:
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = Stemmer.Stemmer("english")
    return stemmer.stemWord(word)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The index term for one lowercase word (what the text analyzer makes of it)."""
    return _snowball(word)


def text_analyzer() -> Analyzer:
    """Title, summary and body: words stemmed, stop words dropped, CJK as bigrams."""
    # One-letter words and digits are words: "Destiny 2", "Plan B", initials (not the clitic
    # of "WeChat's": the tokenizer drops it). Dropping them all (as
    # once measured on Cranfield alone, +0.0007) ranked "Destiny of nations" above "Destiny 2"
    # for the query "Destiny 2"; kept, they change Cranfield by 0.0000 and CACM by +0.002.
    return (
        CJKBigramTokenizer(min_word=1)
        | LowercaseFilter()
        | StopFilter(minsize=1)
        # Our functools cache, not Whoosh's: its LFU cache counts every call and, when full,
        # scans all its entries to evict a tenth; on a batch run that grows the vocabulary past
        # its size, analysis took 7.6 s instead of 5.4 s for 2.6M words (docs/benchmarks.md).
        | StemFilter(stemfn=stem, cachesize=None)
    )


def exact_analyzer() -> Analyzer:
    """The ``exact`` field: the same words unstemmed (stop words kept out of the lexicon too)."""
    return CJKBigramTokenizer(min_word=1) | LowercaseFilter() | StopFilter(minsize=1)


def name_analyzer() -> Analyzer:
    """Authors, sites, categories, tags: words lowercased, nothing stemmed or dropped."""
    return CJKBigramTokenizer() | LowercaseFilter() | StopFilter(minsize=1)


# --- index time ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """What one of this module's analyzers does, for ``index_words`` to do it without Whoosh."""

    min_word: int
    stemmed: bool


def index_plan(analyzer: object) -> IndexPlan | None:
    """The plan of one of the analyzers above (also as unpickled from an index); None otherwise."""
    for factory, plan in _PLANS:
        if analyzer == factory():
            return plan
    return None


def index_words(value: str, min_word: int) -> list[str]:
    """The lowercased words of ``value`` as ``CJKBigramTokenizer(min_word) | LowercaseFilter()``
    yields them, stop words included: word i is at position i."""
    if "'" in value or "’" in value:
        value = _clitic().sub(" ", value)
    if value.isascii():  # lowercasing ASCII first changes neither the words nor their lengths
        return [w for w in TOKEN_PATTERN.findall(value.lower()) if len(w) >= min_word]
    found = TOKEN_PATTERN.findall(value)
    joined = " ".join(found)
    if joined.isascii():  # non-ASCII only between the words (quotes, dashes): the common case
        return [w for w in joined.lower().split(" ") if len(w) >= min_word]
    words = []
    for word in found:
        if word.isascii():
            if len(word) >= min_word:
                words.append(word.lower())
            continue
        for text, _start, cjk in split_cjk(word):
            if not cjk:
                text = text.strip(".")
                if len(text) >= min_word:
                    words.append(text.lower())
            elif len(text) == 1:
                words.append(text.lower())
            else:
                words.extend(text[i : i + 2].lower() for i in range(len(text) - 1))
    return words


def without_stop_words(words: list[str]) -> tuple[list[str], int]:
    """``StopFilter(minsize=1)``: the words that are not stop words, and the position of the first
    (Whoosh renumbers from there: the kept words take consecutive positions)."""
    kept = [w for w in words if w not in STOP_WORDS]
    # The first occurrence of the first kept word is the first kept word.
    return kept, (words.index(kept[0]) if kept else 0)


class _TermCache(dict):
    """word -> its index term as UTF-8 bytes (stemmed or not), computed once per word.

    Emptied when it grows past ``limit`` words, so a batch run over a huge vocabulary stays bounded
    (a plain dict look-up is what makes this faster than functools' cache, see docs/benchmarks.md).
    """

    def __init__(self, stemmed: bool, limit: int = 500_000) -> None:
        super().__init__()
        self.stemmed = stemmed
        self.limit = limit

    def __missing__(self, word: str) -> bytes:
        if len(self) >= self.limit:
            self.clear()
        term = (_snowball(word) if self.stemmed else word).encode("utf-8")
        self[word] = term
        return term


STEMMED_TERMS = _TermCache(stemmed=True)
PLAIN_TERMS = _TermCache(stemmed=False)
_pack_uint = struct.Struct("!I").pack
_ONE_POSITION: list[bytes] = []  # position -> Whoosh's encoding of that one position


def _one_position(pos: int) -> bytes:
    while len(_ONE_POSITION) <= pos and len(_ONE_POSITION) < 4096:
        _ONE_POSITION.append(_pack_uint(1) + dumps([len(_ONE_POSITION)], 2))
    return _ONE_POSITION[pos] if pos < 4096 else _pack_uint(1) + dumps([pos], 2)


def term_positions(terms: list[bytes], first: int) -> tuple[list[bytes], list[int], list[bytes]]:
    """Each distinct term, its frequency, and its positions as Whoosh's ``Positions`` format
    encodes them (a count, then the pickled deltas); ``terms[i]`` is at position ``first + i``."""
    positions: dict[bytes, int | list[int]] = {}
    get = positions.get
    for pos, term in enumerate(terms, first):
        seen = get(term)
        if seen is None:
            positions[term] = pos
        elif isinstance(seen, int):
            positions[term] = [seen, pos]
        else:
            seen.append(pos)
    freqs: list[int] = []
    values: list[bytes] = []
    for at in positions.values():
        if isinstance(at, int):
            freqs.append(1)
            values.append(_ONE_POSITION[at] if at < len(_ONE_POSITION) else _one_position(at))
        else:
            freqs.append(len(at))
            deltas = [at[0], *map(sub, at[1:], at)]
            values.append(_pack_uint(len(at)) + dumps(deltas, 2))
    return list(positions), freqs, values


def term_counts(terms: list[bytes]) -> tuple[list[bytes], list[int]]:
    """Each distinct term and its frequency (Whoosh's ``Frequency`` format), in first-seen order."""
    counts = Counter(terms)
    return list(counts), list(counts.values())


_PLANS = (
    (text_analyzer, IndexPlan(min_word=1, stemmed=True)),
    (exact_analyzer, IndexPlan(min_word=1, stemmed=False)),
    (name_analyzer, IndexPlan(min_word=1, stemmed=False)),
)
