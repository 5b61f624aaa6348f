"""Metadata found in an article's own text: the title, the published date, the site."""

from __future__ import annotations

import logging
import re
from datetime import date
from urllib.parse import urlsplit

__all__ = ["host", "normalise_date", "parse_date", "published_from_text", "title_from_text"]

log = logging.getLogger(__name__)

# A first line longer than this is a paragraph, not a headline.
TITLE_MAX_CHARS = 200
# Datelines sit in the header (first lines) or, on some sites, the footer (last lines).
_DATE_HEAD_LINES = 10
_DATE_TAIL_LINES = 5
_DATE_LINE_MAX_CHARS = 80

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = (r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_LABEL = r"(?:(?:published|updated|last\s+updated|posted|date|dated)(?:\s+on)?\s*[:\-–—]?\s*)?"
_TIME = (r"(?:\s*(?:,|at|[-–—|·])?\s*\d{1,2}[:.]\d\d(?:[:.]\d\d)?(?:\.\d+)?\s*(?:[ap]\.?m\.?)?"
         r"(?:\s*(?:z|utc|gmt)?\s*[+-]\d\d:?\d\d|\s*[a-z]{1,5})?)?")
_SPACED_PUNCT = re.compile(r"\s+([,:])")
_SPACED_TIME = re.compile(r"(?<=\d:)\s+(?=\d)")
_DATE_FORMS = tuple(re.compile(_LABEL + body + _TIME, re.IGNORECASE) for body in (
    _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,                       # Oct 5 2023, Wednesday, May 29, 2024
    _WEEKDAY + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,             # 5 October 2023, Thu, 05 Oct 2023
    _YEAR + r"(?P<sep>[-/.])(?P<mon>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?:t(?=\d))?",  # 2023-10-05, 2023-10-05T08:30Z
))


def parse_date(value: str) -> str | None:
    """``value`` as ISO ``YYYY-MM-DD`` if the whole of it is a date (a label and a time may go with it).

    Deterministic on purpose: no relative dates ("yesterday"), no day-first numeric
    forms (``05/10/2023`` is ambiguous), never today's date as a default.

    >>> parse_date("Wednesday, May 29, 2024")
    '2024-05-29'
    """
    s = value.strip().strip("|•·-–—()[]. \t")
    if not s or len(s) > 2 * _DATE_LINE_MAX_CHARS:  # a paragraph (checked first: most lines are)
        return None
    if " ," in s or " :" in s:  # tokenised text (ECB+) spaces off punctuation: "May 03 , 2013 12 : 30"
        s = _SPACED_TIME.sub("", _SPACED_PUNCT.sub(r"\1", s))
    if len(s) > _DATE_LINE_MAX_CHARS:
        return None
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m is None:
            continue
        parts = m.groupdict()
        month = int(parts["mon"]) if parts.get("mon") else _MONTHS[parts["month"][:3].lower()]
        try:
            return date(int(parts["year"]), month, int(parts["day"])).isoformat()
        except ValueError:
            return None
    return None


def normalise_date(value: object) -> str | None:
    """A date given as metadata, as ISO ``YYYY-MM-DD``; None (logged) if it is not one."""
    if value is None or value == "":
        return None
    iso = parse_date(str(value))
    if iso is None:
        log.warning("ignored a published date that is not a date: %r", value)
    return iso


def published_from_text(lines: list[str]) -> str | None:
    """The date of a line that is only a date or dateline, among the first and last lines."""
    for line in lines[:_DATE_HEAD_LINES] + lines[-_DATE_TAIL_LINES:]:
        found = parse_date(line)
        if found:
            return found
    return None


def title_from_text(lines: list[str]) -> str | None:
    """The first non-empty line, if short enough to be a headline; a date line is not a title."""
    for line in lines:
        if parse_date(line):
            continue
        return line if len(line) <= TITLE_MAX_CHARS else None
    return None


def host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname or None
    except ValueError:
        return None
