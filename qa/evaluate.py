"""Retrieval quality on an evaluation set: recall@1, recall@5, MRR@10 and latency per group.

The set is JSON lines: ``{"id", "group", "question", "doc", "expect"}``; a hit is right when it
comes from ``doc`` and contains ``expect`` (compared after Traditional→Simplified folding).
Questions with ``doc: null`` (group ``none``) should come back weak ("no relevant passage").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.settings import Settings
from qa.textnorm import normalize

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.jsonl"

#: (label, mode, translate English and pinyin) evaluated by default.
CONFIGS: tuple[tuple[str, str, bool], ...] = (
    ("keyword", "keyword", False),
    ("semantic", "semantic", False),
    ("hybrid", "hybrid", False),
    ("hybrid+translate", "hybrid", True),
)


@dataclass(frozen=True)
class EvalRow:
    """Scores of one configuration on one group of questions."""

    config: str
    group: str
    n: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    p50_ms: float
    p95_ms: float
    weak: int  # answerable questions reported as "no relevant passage" (or, for "none", rejected)


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read an evaluation file (JSON lines)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def _rank_of(hits: Sequence[Any], doc: str, expect: str) -> int | None:
    want = normalize(expect)
    for hit in hits:
        if hit.chunk.doc_id == doc and want in normalize(hit.chunk.text):
            return int(hit.rank)
    return None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def evaluate(
    service: Any,
    questions: Iterable[dict[str, Any]],
    configs: Sequence[tuple[str, str, bool]] = CONFIGS,
    k: int = 10,
    without: frozenset[str] = frozenset(),
) -> list[EvalRow]:
    """Run every question under every configuration.

    Args:
        service: A loaded :class:`qa.service.QAService`.
        questions: Rows of the evaluation set.
        configs: ``(label, mode, translate)`` triples.
        k: Passages retrieved per question (MRR is cut at this rank).
        without: Widening stages to switch off (:data:`qa.search.WIDENING_STAGES`).

    Returns:
        One row per configuration and group, plus an ``all`` row per configuration (answerable
        questions only).
    """
    from qa.search import search

    questions = list(questions)
    index = service.index
    rows: list[EvalRow] = []
    for label, mode, translate in configs:
        embedder = None if mode == "keyword" else service.embedder
        search(index, "预热", embedder=embedder, mode=mode)  # first-call costs are not latency
        per_group: dict[str, list[tuple[int | None, float, bool]]] = {}
        for q in questions:
            t0 = time.perf_counter()
            result = search(
                index,
                q["question"],
                embedder=embedder,
                k=k,
                mode=mode,
                translate=translate,
                without=without,
            )
            ms = (time.perf_counter() - t0) * 1000
            rank = _rank_of(result.hits, q["doc"], q["expect"]) if q.get("doc") else None
            per_group.setdefault(q["group"], []).append((rank, ms, result.weak))
        answerable = [r for g, rs in per_group.items() if g != "none" for r in rs]
        for group, results in [*sorted(per_group.items()), ("all", answerable)]:
            if not results:
                continue
            n = len(results)
            ranks = [r for r, _, _ in results]
            lat = [ms for _, ms, _ in results]
            rows.append(
                EvalRow(
                    config=label,
                    group=group,
                    n=n,
                    recall_at_1=round(sum(1 for r in ranks if r == 1) / n, 3),
                    recall_at_5=round(sum(1 for r in ranks if r and r <= 5) / n, 3),
                    mrr_at_10=round(sum(1 / r for r in ranks if r and r <= 10) / n, 3),
                    p50_ms=round(statistics.median(lat), 1),
                    p95_ms=round(_pct(lat, 0.95), 1),
                    weak=sum(1 for _, _, w in results if w),
                )
            )
    return rows


def format_table(rows: Sequence[EvalRow]) -> str:
    """A plain-text table of evaluation rows (``none`` rows report rejections)."""
    head = (
        f"{'config':<18} {'group':<12} {'n':>3} {'R@1':>6} {'R@5':>6} {'MRR@10':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'weak':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.group == "none":
            lines.append(
                f"{r.config:<18} {r.group:<12} {r.n:>3} {'':>6} {'':>6} {'':>7} "
                f"{r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.weak:>5}  (rejected {r.weak}/{r.n})"
            )
            continue
        lines.append(
            f"{r.config:<18} {r.group:<12} {r.n:>3} {r.recall_at_1:>6.3f} "
            f"{r.recall_at_5:>6.3f} {r.mrr_at_10:>7.3f} {r.p50_ms:>7.1f} "
            f"{r.p95_ms:>7.1f} {r.weak:>5}"
        )
    return "\n".join(lines)


def main(settings: Settings, args: argparse.Namespace) -> int:
    """``qa eval``: print the table (or JSON) for the chosen modes."""
    from qa.service import QAService

    service = QAService(settings)
    service.ensure_index()
    questions = load_questions(args.file or DEFAULT_FILE)
    configs: Sequence[tuple[str, str, bool]] = CONFIGS
    if args.mode and "all" not in args.mode:
        configs = [c for c in CONFIGS if c[1] in args.mode]
    without = frozenset(w for arg in args.without or () for w in arg.split(",") if w)
    rows = evaluate(service, questions, configs, k=max(10, args.k), without=without)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
    else:
        print(f"model: {service.embedder.description}")
        print(f"questions: {len(questions)} from {args.file or DEFAULT_FILE}")
        if without:
            print(f"without: {', '.join(sorted(without))}")
        print(format_table(rows))
    return 0
