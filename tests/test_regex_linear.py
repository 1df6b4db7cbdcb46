"""No regular expression in searchkit is super-linear on hostile text (issue 15.2).

Every compiled pattern a searchkit module holds (found by walking the package, so a new one is
checked without being listed) is run over adversarial inputs — long runs of the characters
patterns are written around: spaces, brackets, backticks, emphasis markers — at two sizes, 8x
apart. Linear matching takes about 8x longer on the bigger one, quadratic 64x; a pattern fails
above 24x. Growth is compared by ratio, never against a wall-clock threshold, because the machine
is shared; a suspicious ratio is measured again before it fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Iterator

import pytest

import searchkit
from searchkit.ingest.decode import page_from_bytes
from searchkit.ingest.markdown import markdown_articles
from searchkit.models import SourceFile

SMALL, BIG = 500, 4000
LINEAR = BIG / SMALL
LIMIT = 3 * LINEAR  # quadratic would be LINEAR ** 2
TOO_FAST_TO_TIME = 20e-6  # below this the small run is noise; quadratic at 500 takes >1 ms

UNITS = (
    " ", "\t", "\n", "\u00a0", "-", "*", "_", "`", "[", "]", "(", "<", "#", "=", "|", ".", ",",
    ":", "'", '"', "/", "@", "&", "a", "A", "1", "\u4e00", "a ", "- ", "* ", "*a ", "_a ", "**",
    "**a ", "__", "~~a ", "``a", "[a", "[a](", "](", "![", "<a", "1.", "A. ", "by ", "Aa ", "x\n",
)  # fmt: skip


def _patterns() -> Iterator[tuple[str, re.Pattern]]:
    seen: set[int] = set()

    def visit(obj: object, name: str, depth: int = 0) -> Iterator[tuple[str, re.Pattern]]:
        if isinstance(obj, re.Pattern):
            if id(obj) not in seen:
                seen.add(id(obj))
                yield name, obj
        elif depth < 3 and isinstance(obj, list | tuple | set | frozenset):
            for i, item in enumerate(obj):
                yield from visit(item, f"{name}[{i}]", depth + 1)
        elif depth < 3 and isinstance(obj, dict):
            for key, item in obj.items():
                yield from visit(item, f"{name}[{key!r}]", depth + 1)

    for info in pkgutil.walk_packages(searchkit.__path__, "searchkit."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            yield from visit(obj, f"{info.name}.{name}")


PATTERNS = sorted(_patterns(), key=lambda item: item[0])


def _inputs(unit: str, size: int) -> list[str]:
    body = unit * max(1, size // len(unit))
    return [body + "!", "x" + body + "\x00", body + "- x"]


def _seconds(pattern: re.Pattern, text: str, repeat: int = 3) -> float:
    subject: str | bytes = text.encode() if isinstance(pattern.pattern, bytes) else text
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _match in pattern.finditer(subject):  # type: ignore[arg-type]
            pass
        best = min(best, time.perf_counter() - started)
    return best


def _growth(pattern: re.Pattern, unit: str, variant: int, repeat: int = 3) -> float | None:
    small = _seconds(pattern, _inputs(unit, SMALL)[variant], repeat)
    if small < TOO_FAST_TO_TIME:
        return None
    return _seconds(pattern, _inputs(unit, BIG)[variant], repeat) / small


def _worst_growth(pattern: re.Pattern, *, first_over: bool = False) -> tuple[float, str]:
    """The largest growth over every input, or (with ``first_over``) the first one over LIMIT."""
    worst, where = 0.0, ""
    for unit in UNITS:
        for variant in range(3):
            ratio = _growth(pattern, unit, variant, repeat=1 if first_over else 3)
            if first_over and ratio is not None and ratio > LIMIT:
                return ratio, repr(unit)
            if ratio is not None and ratio > LIMIT:  # measure again: a noisy neighbour?
                ratio = min(ratio, _growth(pattern, unit, variant, repeat=7) or 0.0)
            if ratio is not None and ratio > worst:
                worst, where = ratio, f"{unit!r} x {BIG // len(unit)} (input {variant})"
    return worst, where


def test_the_package_has_patterns_to_check():
    assert len(PATTERNS) >= 50  # the walk found them; an empty list would pass everything


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_pattern_time_grows_linearly_with_hostile_input(name, pattern):
    growth, where = _worst_growth(pattern)
    assert growth <= LIMIT, (
        f"{name} /{pattern.pattern}/ took {growth:.0f}x longer on an input {LINEAR:.0f}x "
        f"bigger ({where}): super-linear backtracking"
    )


@pytest.mark.parametrize(
    "old",
    [
        r"^\s*\|?\s*:?-{3,}",  # the Markdown table rule the red team found (25 s on 40 KB)
        r"(`+)\s*(.+?)\s*\1",  # the code span before it was bounded
        r"\s+(?:[|–—·•:»/-]|--)\s+",  # the title separator before (?<!\s)
    ],
)
def test_the_check_catches_the_patterns_it_replaced(old):
    growth, _ = _worst_growth(re.compile(old), first_over=True)
    assert growth > LIMIT


def test_a_markdown_line_of_spaces_is_read_in_linear_time():
    """The red team's file: one long line of spaces, then a list item."""

    def read(size: int) -> float:
        text = " " * size + "- x\n\n" + "A paragraph of real text about the topic. " * 20
        page = page_from_bytes(SourceFile("/spaces.md", "spaces.md", 0, 0.0), text.encode())
        started = time.perf_counter()
        assert markdown_articles(page)  # the paragraph is still read
        return time.perf_counter() - started

    small = min(read(5_000) for _ in range(3))
    big = min(read(40_000) for _ in range(3))
    assert big / small <= LIMIT
