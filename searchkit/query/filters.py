"""Filters: which matching stories a search keeps.

In: ``ResultFilters`` (site, authors, category, year, a date range, as the user gave them) and the
index's ``StoryTable``. Out: one test per active filter on story numbers (``predicates``), keyed by
the facet it narrows so facet counts can leave their own filter out, and the stories passing all
of them (``passing``). A story is judged by its shown (canonical) copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from searchkit.query.parse import QueryError
from searchkit.query.stories import FacetValues, StoryTable

StoryTest = Callable[[int], bool]


@dataclass(slots=True)
class ResultFilters:
    """Restrict a search to stories whose shown copy has these values (all given must hold).

    ``authors``, ``site`` and ``category`` match a facet value ignoring case, or, when no value is
    equal, every value holding all the given words (``--author koetse``). ``year`` is the year of
    publication (or of the copyright line when that is all an article states). ``since`` / ``until``
    admit an article known only by its year when that whole year lies inside the range.
    """

    authors: list[str] = field(default_factory=list)
    site: str | None = None
    category: str | None = None
    year: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def predicates(self, table: StoryTable) -> dict[str, StoryTest]:
        """One test per active filter, on story numbers, keyed by the facet it narrows."""
        tests: dict[str, StoryTest] = {}
        if self.authors:
            wanted = [_values(table.author_names, "author", a) for a in self.authors]
            authors = table.authors
            tests["author"] = lambda s: all(not w.isdisjoint(authors[s]) for w in wanted)
        if self.site:
            sites = _values(table.sites, "site", self.site)
            site, domain_of = table.site, table.domain
            wanted_domain = as_domain(self.site)
            if wanted_domain is None or not domain_of:
                tests["site"] = lambda s: site[s] in sites
            else:
                tail = "." + wanted_domain
                tests["site"] = lambda s: site[s] in sites or (
                    domain_of[s] == wanted_domain or domain_of[s].endswith(tail)
                )
        if self.category:
            categories = _values(table.categories, "category", self.category)
            category = table.category
            tests["category"] = lambda s: category[s] in categories
        if self.year is not None:
            year, wanted_year = table.year, self.year
            tests["year"] = lambda s: year[s] == wanted_year
        if self.since or self.until:
            tests["date"] = self._date_test(table)
        return tests

    def _date_test(self, table: StoryTable) -> StoryTest:
        first_day = self.since.toordinal() if self.since else None
        last_day = self.until.toordinal() if self.until else None
        # A story known only by its year passes when that whole year lies inside the range: we
        # include it only when we know it belongs.
        first_year = last_year = None
        if self.since:
            first_year = self.since.year + (self.since != dt.date(self.since.year, 1, 1))
        if self.until:
            last_year = self.until.year - (self.until != dt.date(self.until.year, 12, 31))
        day, year = table.day, table.year

        def test(story: int) -> bool:
            if day[story]:
                d = day[story]
                return (first_day is None or d >= first_day) and (last_day is None or d <= last_day)
            y = year[story]
            return (
                bool(y)
                and (first_year is None or y >= first_year)
                and (last_year is None or y <= last_year)
            )

        return test


def passing(stories: set[int], tests: list[StoryTest]) -> set[int]:
    """The stories that pass every test (the same set when there is none: no copy to make)."""
    if not tests:
        return stories
    return {s for s in stories if all(test(s) for test in tests)}


def as_domain(text: str) -> str | None:
    """``--site`` as a domain ("nypost.com", "www.nypost.com", "https://nypost.com/x"), or None
    when it reads as a site's name ("New York Post")."""
    value = text.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0].removeprefix("www.").rstrip(".")
    if " " in value or "." not in value or not all(part for part in value.split(".")):
        return None
    return value


def _values(values: FacetValues, name: str, wanted: str) -> frozenset[int]:
    if not any(ch.isalnum() for ch in wanted):
        raise QueryError(f"empty {name} filter")
    return values.matching(wanted)
