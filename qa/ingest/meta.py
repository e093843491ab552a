"""A document's title, date and source, read from its first lines."""

from __future__ import annotations

import datetime
import logging
import re

from qa.ingest.clean import (
    BREADCRUMB,
    CRUMB_SEP,
    DATE,
    DATE_LABELS,
    DATE_PARTS,
    DATED_META_LINE,
    HOME_WORDS,
    TITLE_MAX_CHARS,
    strip_annotations,
)
from qa.ingest.textnorm import normalize

logger = logging.getLogger(__name__)

_HEADER_LINES = 30

_LABELLED_MAX_CHARS = 120

_LABELLED_DATE = re.compile(f"{DATE_LABELS}\\s*:\\s*({DATE})")

_SOURCE_LABEL = re.compile(r"(?:来源|出处|稿源)\s*:\s*([^\s|,;、]+)")

_TITLE_CUT = re.compile("[。!?;]")

_TITLE_FALLBACK_CHARS = 40


def _iso_date(text: str) -> str:
    """``"2024/5/28"``, ``"2017年4月2日"`` → ``"2024-05-28"``; ``""`` for impossible dates."""
    m = DATE_PARTS.search(text)
    if not m:
        return ""
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def _header_lines(raw: str) -> list[tuple[str, str]]:
    """The first lines of ``raw`` as (text, key), converter annotations removed."""
    text, _ = strip_annotations(raw)
    result: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            result.append((line, normalize(line)))
        if len(result) >= _HEADER_LINES:
            break
    return result


def _date_in(key: str) -> str:
    """The date a metadata line gives ("时间:2017-04-02", "2017-05-10 10:29:50 来源:…")."""
    if len(key) <= _LABELLED_MAX_CHARS and (m := _LABELLED_DATE.search(key)):
        return _iso_date(m[1])
    # A date that merely starts a sentence belongs to the body, not to the page.
    if DATED_META_LINE.match(key):
        return _iso_date(key)
    return ""


def _find_date(header: list[tuple[str, str]]) -> str:
    return next((found for _, key in header if (found := _date_in(key))), "")


def _find_source(header: list[tuple[str, str]]) -> str:
    for text, key in header:
        if len(key) <= _LABELLED_MAX_CHARS and (m := _SOURCE_LABEL.search(key)):
            return text[m.start(1) : m.end(1)]
    # The first item of a breadcrumb names the site: "您的位置:新文秘網>>解放思想/…".
    for text, key in header:
        if m := BREADCRUMB.match(key):
            sep = CRUMB_SEP.search(key, m.end())
            end = sep.start() if sep else len(key)
            site = text[m.end() : end].strip()
            if site and normalize(site) not in HOME_WORDS:
                return site
            return ""
    return ""


def _title_from(cleaned: str) -> str:
    first = cleaned.split("\n", 1)[0].strip()
    if len(first) <= TITLE_MAX_CHARS:
        return first
    # No headline: the text starts with the body. Its first sentence, shortened, stands in.
    m = _TITLE_CUT.search(first)
    sentence = first[: m.start()] if m else first
    return sentence[:_TITLE_FALLBACK_CHARS] + ("…" if len(sentence) > _TITLE_FALLBACK_CHARS else "")


def extract_meta(raw: str, cleaned: str) -> tuple[str, str, str]:
    """Find a page's headline, publication date and source.

    Args:
        raw: The decoded file content (metadata lines live only here).
        cleaned: The text :func:`clean` made of it; its first line is the headline.

    Returns:
        ``(title, date, source)``: the title and source in the original script, the date
        as ``"YYYY-MM-DD"``; ``""`` for what the page does not give.
    """
    header = _header_lines(raw)
    return _title_from(cleaned), _find_date(header), _find_source(header)
