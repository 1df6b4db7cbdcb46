"""Text analysis: a string -> the terms the index holds (and a query is turned into).

English (and any other space-separated script) is split into words, lowercased, stop-filtered and
Porter-stemmed, as before. Chinese, Japanese and Korean text has no spaces, so a run of CJK
characters becomes its overlapping two-character pieces ("芝麻信用" -> 芝麻 麻信 信用) at successive
positions; a lone character stays itself. A query such as 信用 is then one term, and 芝麻信用 a phrase
of three, so any word inside Chinese text can be found without a dictionary (docs/benchmarks.md
compares this with the jieba segmenter). The same tokenizer, without the stemmer, feeds the
``exact`` field that rewards unstemmed matches and supplies spelling suggestions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import (
    Analyzer,
    LowercaseFilter,
    StemFilter,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang.porter import stem as porter_stem

# Hiragana, Katakana, CJK ideographs (with extension A, compatibility, and the supplementary
# planes) and Hangul syllables: scripts written without spaces between words.
CJK_RANGES = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0003134f"
)
# Whoosh's default word pattern. A word holding CJK characters is split further (below): a
# pattern excluding them from \\w directly takes ~12 ms to compile, a cost every cold `search` pays.
TOKEN_PATTERN = re.compile(r"\w+(?:\.?\w+)*")
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


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The index term for one lowercase word (what the text analyzer makes of it)."""
    return porter_stem(word)


def text_analyzer() -> Analyzer:
    """Title, summary and body: words stemmed, stop words dropped, CJK as bigrams."""
    # One-letter words are dropped by the tokenizer, which keeps a lone CJK character.
    return (
        CJKBigramTokenizer(min_word=2)
        | LowercaseFilter()
        | StopFilter(minsize=1)
        # Our functools cache, not Whoosh's: its LFU cache counts every call and, when full,
        # scans all its entries to evict a tenth; on a batch run that grows the vocabulary past
        # its size, analysis took 7.6 s instead of 5.4 s for 2.6M words (docs/benchmarks.md).
        | StemFilter(stemfn=stem, cachesize=None)
    )


def exact_analyzer() -> Analyzer:
    """The ``exact`` field: the same words unstemmed (stop words kept out of the lexicon too)."""
    return CJKBigramTokenizer(min_word=2) | LowercaseFilter() | StopFilter(minsize=1)


def name_analyzer() -> Analyzer:
    """Authors, sites, categories, tags: words lowercased, nothing stemmed or dropped."""
    return CJKBigramTokenizer() | LowercaseFilter() | StopFilter(minsize=1)
