"""Perturbed copies of an article, as a second save of the same story tends to differ.

Used by the dedup tests and by bench/dedup_threshold.py, which picks the default threshold.
Every function is deterministic for a given seed.
"""

from __future__ import annotations

import random
import textwrap


def edit(text: str, rate: float, seed: int = 0) -> str:
    """Change about ``rate`` of the words: some replaced, some dropped, some inserted."""
    rng = random.Random(seed)
    words = text.split(" ")
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            continue  # dropped
        if roll < 2 * rate / 3:
            out.append(rng.choice(["editor", "update", "reportedly", "however", "officials"]))
        else:
            out.append(word)
        if rng.random() < rate / 3:
            out.append(rng.choice(["also", "still", "now", "again"]))
    return " ".join(out)


def truncate(text: str, keep: float) -> str:
    """The first ``keep`` share of the words, as when a save was cut off."""
    words = text.split(" ")
    return " ".join(words[: max(1, int(len(words) * keep))])


def new_tail(text: str, tail: str) -> str:
    """The same story with other text after it (a different related-articles block)."""
    return text + "\n\n" + tail


def reflow(text: str, width: int = 60) -> str:
    """The same words with the lines broken elsewhere and spacing changed."""
    flat = " ".join(text.split())
    return "\n".join(textwrap.wrap(flat, width)).replace(". ", ".  ")


def perturbations(text: str, other: str, seed: int = 0) -> dict[str, str]:
    """Named perturbed copies of ``text``; ``other`` supplies foreign text for tails."""
    other_words = other.split(" ")
    return {
        "edit 2%": edit(text, 0.02, seed),
        "edit 5%": edit(text, 0.05, seed),
        "edit 10%": edit(text, 0.10, seed),
        "truncated to 80%": truncate(text, 0.8),
        "truncated to 60%": truncate(text, 0.6),
        "tail +15%": new_tail(text, " ".join(other_words[: len(text.split()) * 15 // 100])),
        "tail +40%": new_tail(text, " ".join(other_words[: len(text.split()) * 40 // 100])),
        "reflowed": reflow(text),
        "reflowed, edit 5%, tail +15%": new_tail(
            reflow(edit(text, 0.05, seed + 1)),
            " ".join(other_words[: len(text.split()) * 15 // 100]),
        ),
    }
