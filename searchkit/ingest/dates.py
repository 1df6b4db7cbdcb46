"""Dates as pages write them -> ``datetime.date``.

Handles the forms scraped news pages use: "February 12, 2019", "Feb. 12, 2019", "12 February 2019",
"Sunday, 10 February, 2019, 2:04pm", "2019-02-12", "2019/02/12". Ambiguous numeric forms such as
"02/03/2019" are not guessed.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?"

_FORMS = [
    rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # February 12, 2019
    rf"{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}",  # 10 February, 2019
    r"(?P<year>(?:19|20)\d{2})[-/.](?P<mnum>\d{1,2})[-/.](?P<day>\d{1,2})",  # 2019-02-12
]
_DATE_RES = [re.compile(form, re.IGNORECASE) for form in _FORMS]
_DATE_ONLY_RES = [re.compile(rf"^\s*{form}\s*$", re.IGNORECASE) for form in _FORMS]
_DATE_TIME_RES = [re.compile(rf"^\s*{form}{_TIME}\s*$", re.IGNORECASE) for form in _FORMS]


def _to_date(match: re.Match[str]) -> dt.date | None:
    parts = match.groupdict()
    month = int(parts["mnum"]) if parts.get("mnum") else MONTHS[parts["month"].lower()]
    try:
        return dt.date(int(parts["year"]), month, int(parts["day"]))
    except ValueError:
        return None


def parse_date_line(text: str, *, allow_time: bool = False) -> dt.date | None:
    """The date when ``text`` is a date and nothing else (optionally followed by a time)."""
    for pattern in _DATE_TIME_RES if allow_time else _DATE_ONLY_RES:
        match = pattern.match(text)
        if match:
            return _to_date(match)
    return None


def find_date(text: str) -> dt.date | None:
    """The first date written anywhere in ``text``."""
    for pattern in _DATE_RES:
        match = pattern.search(text)
        if match:
            return _to_date(match)
    return None


def user_date_span(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day meant by a date a user typed (CLI --since/--until, API filters).

    Accepts YYYY, YYYY-MM, YYYY-MM-DD or a written date; raises ValueError with a message fit to show.
    """
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            first = dt.date(year, month, 1)
            following = dt.date(year + (month == 12), month % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
    except ValueError:
        pass
    else:
        date = parse_date_line(text)
        if date is not None:
            return date, date
    raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
