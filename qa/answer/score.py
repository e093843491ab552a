"""Scoring text by the query's terms: each term weighted by its length, its rarity among the
candidates and whether the question quotes it, and the rank of the passage it comes from."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence

from qa.ingest.textnorm import normalize
from qa.tuning import COMPOSING

logger = logging.getLogger(__name__)

_QUOTED_RE = re.compile(r"[“「《\"']([^“”「」《》\"']{1,30})[”」》\"']")


def term_weights(
    terms: Sequence[str], keys: Sequence[str], question: str = "", focus: str = ""
) -> dict[str, float]:
    """Longer terms, terms found in fewer candidates and terms quoted in the question weigh more.

    ``focus``: the words a follow-up adds to its topic ("那宣传引导机制呢?"), which weigh as
    quoted ones: the topic's own subject is what the follow-up moves away from.
    """
    n = max(1, len(keys))
    quoted = [m[1] for m in _QUOTED_RE.finditer(normalize(question))]
    if focus:
        quoted.append(normalize(focus))
    weights = {}
    for term in dict.fromkeys(terms):
        df = sum(term in key for key in keys)
        # A term in most candidates is the topic of them all, not what tells them apart.
        weight = COMPOSING.length_weight[min(len(term), 4)] * math.log((n + 1.0) / (df + 0.5))
        if any(term in q for q in quoted):
            weight *= COMPOSING.quoted_boost
        weights[term] = weight
    return weights


def term_match(key: str, weights: Mapping[str, float]) -> float:
    """Weight of the terms a text holds; a term inside a longer one found (作风 in 作风建设年)
    is not counted again."""
    found = [t for t in weights if t in key]
    return sum(
        max(0.0, weights[t])
        for t in found
        if not any(t != longer and t in longer for longer in found)
    )


def defines(key: str, weights: Mapping[str, float]) -> float:
    """Extra weight for a sentence that defines a query term (“一看”就是…, X是指…)."""
    return sum(
        w
        for t, w in weights.items()
        if len(t) > 1 and re.search(re.escape(t) + r"[”」]?(?:就是|即|是指|指的是)", key)
    )


def names_in_quotes(key: str, term: str) -> bool:
    """Whether a sentence gives ``term`` its name in quotes: “实干担当、激情创业”这一主题,
    弘扬“全面领先苏中、加快融入苏南”主旋律, 以“…”为主题, 主题是“…”."""
    t = re.escape(term)
    return bool(
        re.search(rf"[“「][^“”「」]{{2,40}}[”」](?:这一|这个|这项|的)?{t}|{t}(?:是|为|:)[“「]", key)
    )


def rank_factor(rank: int) -> float:
    """What a sentence's score keeps for coming from the passage ranked ``rank`` (1-based)."""
    return 1.0 / (1.0 + 0.15 * (rank - 1))
