"""Text from scraped pages made safe to print on a terminal.

In: any string (a title, a snippet, a file name, an error message quoting one). Out: the same
text without anything a terminal would act on: escape sequences (CSI colours and cursor moves,
OSC 52 clipboard writes, OSC 8 links, window titles), the C0 and C1 control characters (carriage
return and backspace can overwrite what was printed) and the bidirectional overrides that make
text read other than it is. Newlines and tabs stay.

Why strip rather than escape to ``\\x1b``-style text: a reader wants the title, not a row of
escapes, and nothing legitimate in an article needs a control character. Whole sequences go, not
only their ESC, so an OSC 52 payload does not show up as base64 noise either.
"""

from __future__ import annotations

import re

# ESC, then: CSI (ESC [ … final byte), an OSC/DCS/APC/PM/SOS string (up to BEL or ST), or one
# following character (ESC c resets the terminal, ESC 7 saves the cursor…). The 8-bit C1 forms
# (U+009B CSI, U+009D OSC…) are removed one character at a time by _CONTROL instead: a page
# decoded as Latin-1 that was really cp1252 is full of U+009D, and treating that as the start of
# a string would swallow the article text after it.
_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"
    r"|\x1b[\x20-\x7e]?"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_sequences(text: str) -> str:
    """``text`` without escape sequences, other control characters left alone.

    For pages as they are read (``ingest.decode``): the HTML parser drops a lone ESC but keeps
    the rest of its sequence (``]52;c;…``) as text, so sequences must go before parsing. The
    control characters themselves are left to the line splitter, which knows that a lone ``\r``
    ends a line in old Mac files.
    """
    return _SEQUENCE.sub("", text)


def safe_text(text: str) -> str:
    """``text`` with every escape sequence and control character removed (newline, tab kept)."""
    if text.isprintable():  # the common case: nothing to look for
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))
