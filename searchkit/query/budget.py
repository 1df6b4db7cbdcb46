"""A search's time budget: a deadline the query steps check, and what ran out when it passed.

In: the seconds a search may take (``None``: no limit), set around one search by ``within``.
Out: ``expired(step)`` — checked by the steps at their loops' heads (expanding a pattern,
matching a part of an Or, scoring a term, the proximity re-rank, making a snippet) — true once the
deadline has passed, after which each step stops adding work and hands on what it has; and
``outcome()``, the step that first found the time gone, for the notice the user is shown.

Why a context variable rather than a ``budget`` argument: the deadline concerns every step of a
search (parse, match, rank, order, results), most of them several calls deep; threading one more
parameter through each signature would change every step's API for a concern none of them owns.
A ``ContextVar`` is per thread (and per asyncio task), so the web server's concurrent requests
each see only their own budget; outside ``within`` there is none and ``expired`` is always false.

Why cooperative checks and not a timer that interrupts: Python cannot safely interrupt a thread
mid-step, and an interrupted search has nothing to show; a search that stops adding terms still
ranks what it has read, which is what "answer with what it has" means.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class Budget:
    """The deadline of one search (``time.monotonic()`` seconds) and the step that passed it."""

    seconds: float
    deadline: float
    ran_out_in: str | None = None

    def expired(self, step: str) -> bool:
        if self.ran_out_in is not None:
            return True
        if time.monotonic() < self.deadline:
            return False
        self.ran_out_in = step
        return True


_current: ContextVar[Budget | None] = ContextVar("searchkit_search_budget", default=None)


@contextmanager
def within(seconds: float | None) -> Iterator[Budget | None]:
    """Run the block under a budget of ``seconds`` (``None``: unlimited); yields the ``Budget``."""
    if seconds is None:
        yield None
        return
    if seconds <= 0:
        raise ValueError("a time budget must be more than 0 seconds")
    budget = Budget(seconds, time.monotonic() + seconds)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def expired(step: str) -> bool:
    """Whether the current search's budget has run out (recording ``step`` the first time)."""
    budget = _current.get()
    return budget is not None and budget.expired(step)


def notice(budget: Budget | None) -> str | None:
    """What the user is told when the budget ran out; ``None`` when it did not."""
    if budget is None or budget.ran_out_in is None:
        return None
    return (
        f"The search stopped at its {budget.seconds:g}-second time limit while {budget.ran_out_in}; "
        "these results are ranked from what it had read by then and may miss some matches."
    )
