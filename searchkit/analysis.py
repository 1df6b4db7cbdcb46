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
_WORD_CHAR = f"[^\\W{CJK_RANGES}]"
TOKEN_PATTERN = re.compile(f"(?P<cjk>[{CJK_RANGES}]+)|{_WORD_CHAR}+(?:\\.?{_WORD_CHAR}+)*")
CJK_RUN = re.compile(f"[{CJK_RANGES}]+")


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
        return other.__class__ is self.__class__ and other.min_word == self.min_word

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
        for match in TOKEN_PATTERN.finditer(value):
            text = match.group(0)
            start = match.start()
            if match.group("cjk") is None:
                if len(text) < min_word:
                    continue
                pieces = ((text, start),)
            elif len(text) == 1:
                pieces = ((text, start),)
            else:
                pieces = ((text[i : i + 2], start + i) for i in range(len(text) - 1))
            for piece, offset in pieces:
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
                pos += 1
                yield token


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
