"""Find query terms in original-script text and turn text into escaped, highlighted HTML.

Pure functions, no gradio: the page (``qa.app.ui``) calls them, and they are tested on their own.
Terms are Simplified (what the search matched); documents may be Traditional. Matching runs
on :func:`qa.ingest.textnorm.normalize` of the text, which keeps character ``i`` at position ``i``,
so a match in the normalised key is a span of the original text.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable

from qa.ingest.textnorm import normalize

Span = tuple[int, int]

# ASCII only: str.lower() can change the length of some non-ASCII characters.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_ASCII_WORD = re.compile(r"[0-9a-z]+")


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort spans and merge those that overlap or touch.

    Args:
        spans: ``(start, end)`` pairs, end exclusive; empty or inverted spans are dropped.

    Returns:
        Disjoint spans in order.
    """
    merged: list[Span] = []
    for start, end in sorted((s, e) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def term_spans(text: str, terms: Iterable[str]) -> list[Span]:
    """Where the query terms occur in a text, in any script or width.

    Args:
        text: Original text (Traditional or Simplified, full- or half-width).
        terms: Query terms; they are normalised too, so any script works.

    Returns:
        Disjoint ``(start, end)`` spans into ``text``, in order, overlaps merged.
    """
    key = normalize(text).translate(_ASCII_LOWER)
    found: list[Span] = []
    for term in {normalize(t).translate(_ASCII_LOWER) for t in terms if t and t.strip()}:
        # A Latin word or number counts only as a whole word: "2" must not light up the
        # "2" of "12月", nor "gdp" part of a longer word.
        whole_word = _ASCII_WORD.fullmatch(term) is not None
        pos = key.find(term)
        while pos != -1:
            end = pos + len(term)
            if not whole_word or (
                (pos == 0 or not _ASCII_WORD.match(key[pos - 1]))
                and (end == len(key) or not _ASCII_WORD.match(key[end]))
            ):
                found.append((pos, end))
            pos = key.find(term, pos + 1)
    return merge_spans(found)


def highlight_html(
    text: str,
    spans: Iterable[Span],
    passage: Span | None = None,
    *,
    passage_id: str = "qa-passage",
    mark_class: str = "qa-term",
    notes: Iterable[tuple[int, int, str]] = (),
) -> str:
    """Escape a text and mark the term spans (and a passage) in it.

    Every character of ``text`` goes through :func:`html.escape`, so markup in a document
    shows as text. Term spans become ``<mark class="qa-term">``; the passage, if given,
    becomes one ``<mark class="qa-passage" id=...>`` around its (term-marked) text, so the
    page can scroll to it. Spans are clipped to the text.

    Args:
        text: The text to show.
        spans: Term spans into ``text``.
        passage: A span of ``text`` to mark as the passage, or None.
        passage_id: The id of the passage's ``<mark>``.
        mark_class: The class of the spans' ``<mark>`` (``qa-span`` for the time, number or
            person an answer gives).
        notes: ``(start, end, note)`` of words whose note shows under the pointer (pinyin and
            senses, :func:`qa.answer.gloss.word_notes`): each becomes ``<span class="qa-w"
            title=note>`` inside any mark.

    Returns:
        An HTML fragment (no surrounding element).
    """
    n = len(text)
    terms = merge_spans((max(0, s), min(n, e)) for s, e in spans)
    if passage is not None:
        p_start, p_end = max(0, passage[0]), min(n, passage[1])
        passage = (p_start, p_end) if p_end > p_start else None
    # Cut the text at every boundary so that no term mark crosses the passage mark.
    cuts = {0, n}
    for s, e in terms:
        cuts.update((s, e))
    words = sorted((max(0, s), min(n, e), note) for s, e, note in notes if min(n, e) > max(0, s))
    for s, e, _ in words:
        cuts.update((s, e))
    if passage is not None:
        cuts.update(passage)
    bounds = sorted(cuts)
    out: list[str] = []
    ti = wi = 0
    for start, end in zip(bounds, bounds[1:], strict=False):
        if passage is not None and start == passage[0]:
            out.append(f'<mark class="qa-passage" id="{html.escape(passage_id, quote=True)}">')
        while ti < len(terms) and terms[ti][1] <= start:
            ti += 1
        piece = html.escape(text[start:end])
        while wi < len(words) and words[wi][1] <= start:
            wi += 1
        if wi < len(words) and words[wi][0] <= start:
            title = html.escape(words[wi][2], quote=True)
            piece = f'<span class="qa-w" title="{title}">{piece}</span>'
        if ti < len(terms) and terms[ti][0] <= start:
            piece = f'<mark class="{html.escape(mark_class, quote=True)}">{piece}</mark>'
        out.append(piece)
        if passage is not None and end == passage[1]:
            out.append("</mark>")
    return "".join(out)
