"""Facets: the matching stories and the active filters -> counts per site, author, year, category.

In: the ``StoryTable``, the stories a query matched (before filtering) and the filter tests keyed
by facet (``filters.ResultFilters.predicates``). Out: per facet, its values with how many stories
have them, most frequent first — counted over the stories passing every *other* active filter, so
each count is what clicking that value would find.
"""

from __future__ import annotations

from searchkit.models import FACET_NAMES, FacetCount
from searchkit.query.filters import StoryTest, passing
from searchkit.query.stories import StoryTable


def facet_counts(
    table: StoryTable, stories: set[int], tests: dict[str, StoryTest]
) -> dict[str, list[FacetCount]]:
    """Per facet: counts over the matching stories that pass every *other* active filter."""
    out: dict[str, list[FacetCount]] = {}
    cache: dict[frozenset[str], dict[str, list[FacetCount]]] = {}
    for name in FACET_NAMES:
        others = frozenset(k for k in tests if k != name)
        if others not in cache:
            chosen = passing(stories, [tests[k] for k in others])
            cache[others] = table.facet_counts(chosen)
        out[name] = cache[others][name]
    return out
