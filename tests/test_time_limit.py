"""A search's time limit: past it the search answers with what it has, says so, and never hangs.

The red team's 26 one-letter prefixes OR-ed held one server worker for minutes (issue 15.1). The
limit is cooperative (each step checks it at its loops' heads), so these tests make it run out at
a chosen step by giving ``Budget.expired`` a clock that has passed only for that step: a
wall-clock limit would make the tests depend on this machine's speed.
"""

from __future__ import annotations

import pytest

from searchkit.cli import app as cli_app
from searchkit.query import budget
from searchkit.query.budget import Budget
from searchkit.query.searcher import QueryError, Searcher

PROBES = ("expanding wildcards", "matching", "scoring", "re-ranking by word distance")


def _run_out_at(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """Make the budget expire the first time ``step`` checks it, and never before."""
    assert step in PROBES
    original = Budget.expired

    def expired(self: Budget, at: str) -> bool:
        if self.ran_out_in is None and at == step:
            self.deadline = 0.0
        return original(self, at)

    monkeypatch.setattr(Budget, "expired", expired)


def test_a_search_within_its_time_limit_is_complete_and_unchanged(seed_store):
    with Searcher(seed_store) as searcher:
        free = searcher.search("social credit blacklist")
        bounded = searcher.search("social credit blacklist", time_limit=60)
    assert bounded.complete and free.complete
    assert [h.id for h in bounded.hits] == [h.id for h in free.hits]
    assert bounded.notices == free.notices


@pytest.mark.parametrize("step", ["scoring", "re-ranking by word distance"])
def test_a_search_out_of_time_while_ranking_still_shows_ranked_matches(
    seed_store, monkeypatch, step
):
    with Searcher(seed_store) as searcher:
        every_match = searcher.search("social credit blacklist", limit=1000)
        _run_out_at(monkeypatch, step)
        cut = searcher.search("social credit blacklist", time_limit=60)
    assert not cut.complete
    assert cut.hits, "a search that ran out of time while ranking still shows what it ranked"
    assert {h.id for h in cut.hits} <= {h.id for h in every_match.hits}
    assert cut.notices[-1].startswith("The search stopped at its 60-second time limit while " + step)
    assert "may miss some matches" in cut.notices[-1]


def test_wildcards_left_unexpanded_when_time_runs_out_leave_the_rest_searched(
    seed_store, monkeypatch
):
    """The first pattern is expanded; the later ones are dropped, and the notice says why."""
    with Searcher(seed_store) as searcher:
        whole = searcher.search("sesam* OR wech*", any_word=True)
        state = {"checks": 0}
        original = Budget.expired

        def expired(self: Budget, at: str) -> bool:
            if at == "expanding wildcards":
                state["checks"] += 1
                if state["checks"] > 1 and self.ran_out_in is None:
                    self.deadline = 0.0
            return original(self, at)

        monkeypatch.setattr(Budget, "expired", expired)
        cut = searcher.search("sesam* OR wech*", any_word=True, time_limit=60)
    assert not cut.complete
    assert 0 < cut.total < whole.total
    assert "while expanding wildcards" in cut.notices[-1]


def test_a_phrase_query_out_of_time_answers_with_the_matches_scored(seed_store, monkeypatch):
    """Phrases go through Whoosh's matchers, where the limit stops the collector."""
    with Searcher(seed_store) as searcher:
        _run_out_at(monkeypatch, "scoring")
        cut = searcher.search('"social credit" OR "sesame credit"', time_limit=60)
    assert not cut.complete
    assert len(cut.hits) >= 1
    assert "while scoring" in cut.notices[-1]


def test_a_time_limit_of_zero_is_refused_with_one_line(seed_store):
    with Searcher(seed_store) as searcher, pytest.raises(QueryError, match="more than 0 seconds"):
        searcher.search("wechat", time_limit=0)


def test_the_budget_is_per_search_and_gone_outside_it():
    with budget.within(60) as inside:
        assert inside is not None and not budget.expired("matching")
    inside.deadline = 0.0  # a budget that ran out after its search ended affects nothing
    assert not budget.expired("matching")
    assert budget.notice(inside) is None


def test_the_cli_prints_the_time_limit_notice(runner, seed_store, monkeypatch):
    _run_out_at(monkeypatch, "scoring")
    result = runner.invoke(
        cli_app,
        ["search", "social credit blacklist", "--time-limit", "30", "--index", str(seed_store.path)],
    )
    assert result.exit_code == 0, result.output
    assert "stopped at its 30-second time limit while scoring" in result.output


def test_the_cli_json_says_whether_the_results_are_complete(runner, seed_store, monkeypatch):
    import json

    args = ["search", "wechat", "--json", "--index", str(seed_store.path)]
    assert json.loads(runner.invoke(cli_app, args).stdout)["complete"] is True
    _run_out_at(monkeypatch, "scoring")
    cut = json.loads(runner.invoke(cli_app, [*args, "--time-limit", "5"]).stdout)
    assert cut["complete"] is False
    assert "time limit" in cut["notices"][-1]
