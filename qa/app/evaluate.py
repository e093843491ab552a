"""Quality on an evaluation set, per group: retrieval (recall@1, recall@5, MRR@10, latency)
and the answer composed on top of it (accuracy, list item recall, citation precision).

The set is JSON lines: ``{"id", "group", "question", "doc", "expect"}``, and ``"answer"`` (the
strings a right answer contains) with ``"kind"`` (``list``, ``item``, ``quantity``, ...) where
written. A hit is right when it comes from ``doc`` and contains ``expect``; an answer is right
when the text shown (lead, items, sentences) contains every ``answer`` string; all compared
after Traditional→Simplified folding. Questions with ``doc: null`` (group ``none``) should come
back weak ("no relevant passage"). A conversation set (``followups.jsonl``) is scored turn by
turn the same way (:func:`evaluate_followups`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.ingest.textnorm import normalize
from qa.settings import WIDENING_STAGES, Settings

#: The question set ``qa eval`` reads without ``--file``: the project's own sets, relative to
#: the folder it is run in (a checkout of the project); the package ships no questions.
DEFAULT_FILE = Path("tests") / "eval" / "questions.jsonl"
#: The conversations scored with the default set.
FOLLOWUPS_FILE = DEFAULT_FILE.parent / "followups.jsonl"

#: (label, mode, translate English and pinyin) evaluated by default.
CONFIGS: tuple[tuple[str, str, bool], ...] = (
    ("keyword", "keyword", False),
    ("semantic", "semantic", False),
    # What the page's semantic mode searches: the dense ranking of the question and of its
    # rendering in corpus words (English and pinyin spans translated).
    ("semantic+translate", "semantic", True),
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
    #: Questions with gold answer strings, and the share whose answer shows all of them.
    answered: int = 0
    answer_accuracy: float | None = None
    #: Mean share of a list question's gold items that the answer shows.
    item_recall: float | None = None
    #: Share of the answer's [n] marks whose passage contains the sentence or item marked.
    citation_precision: float | None = None


@dataclass(frozen=True)
class AnswerScore:
    """How one composed answer measures against its gold strings."""

    correct: bool
    found: int  # gold strings the answer shows
    gold: int
    citations_right: int
    citations: int


def answer_text(answer: Any) -> str:
    """The answer as the page shows it: lead, items, then sentences, one per line."""
    parts = [answer.lead] if answer.lead else []
    parts += [f"{it.label}：{it.text}" if it.label else it.text for it in answer.items]
    parts += [s.text for s in answer.sentences]
    return "\n".join(parts)


def score_answer(answer: Any, gold: Sequence[str]) -> AnswerScore:
    """Score a composed answer (:class:`qa.answer.result.Answer`) against gold strings.

    A citation is right when the passage it numbers contains the text that carries it, both
    folded to Simplified script (a passage shows a stretch of its document; an item cut from
    beyond it is not in it).
    """
    shown = normalize(answer_text(answer)) if answer.found else ""
    found = sum(1 for g in gold if normalize(g) in shown)
    right = total = 0
    for part in [*answer.items, *answer.sentences]:
        text = normalize(part.text)
        for n in part.citations:
            total += 1
            if 1 <= n <= len(answer.passages):
                right += text in normalize(answer.passages[n - 1].chunk.text)
    correct = found == len(gold) if gold else not answer.found
    return AnswerScore(correct, found, len(gold), right, total)


def _answer_fields(scored: Sequence[tuple[str, AnswerScore]]) -> dict[str, Any]:
    """The answer columns of an :class:`EvalRow` from ``(kind, score)`` pairs."""
    if not scored:
        return {}
    lists = [s for kind, s in scored if kind == "list" and s.gold]
    cited = sum(s.citations for _, s in scored)
    return {
        "answered": len(scored),
        "answer_accuracy": round(sum(s.correct for _, s in scored) / len(scored), 3),
        "item_recall": (
            round(sum(s.found / s.gold for s in lists) / len(lists), 3) if lists else None
        ),
        "citation_precision": (
            round(sum(s.citations_right for _, s in scored) / cited, 3) if cited else None
        ),
    }


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
        service: A loaded :class:`qa.app.service.QAService`.
        questions: Rows of the evaluation set.
        configs: ``(label, mode, translate)`` triples.
        k: Passages retrieved per question (MRR is cut at this rank).
        without: Widening stages to switch off (:data:`qa.settings.WIDENING_STAGES`).

    Returns:
        One row per configuration and group, plus an ``all`` row per configuration (answerable
        questions only).
    """
    from qa.answer.compose import compose_answer
    from qa.search.search import search

    questions = list(questions)
    index = service.index
    shown = service.settings.top_k  # answers are composed from the passages the page shows
    rows: list[EvalRow] = []
    for label, mode, translate in configs:
        embedder = None if mode == "keyword" else service.embedder
        search(index, "预热", embedder=embedder, mode=mode)  # first-call costs are not latency
        per_group: dict[str, list[tuple[int | None, float, bool]]] = {}
        scored: dict[str, list[tuple[str, AnswerScore]]] = {}
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
            # A "none" question is answered right when no answer is claimed.
            if q.get("answer") is not None or not q.get("doc"):
                cut = dataclasses.replace(result, hits=result.hits[:shown])
                score = score_answer(
                    compose_answer(cut, index.documents, chunks=index.chunks),
                    q.get("answer") or [],
                )
                scored.setdefault(q["group"], []).append((q.get("kind", ""), score))
        answerable = [r for g, rs in per_group.items() if g != "none" for r in rs]
        scored["all"] = [s for g, ss in scored.items() if g != "none" for s in ss]
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
                    **_answer_fields(scored.get(group, [])),
                )
            )
    return rows


def load_conversations(path: Path) -> list[dict[str, Any]]:
    """Read a conversation set: ``{"id", "group", "turns": [{"question", "doc", "answer"}]}``."""
    return load_questions(path)


def evaluate_followups(service: Any, conversations: Iterable[dict[str, Any]]) -> list[EvalRow]:
    """Ask each conversation's turns in order, each with the questions before it as history.

    A turn's answer is right when it shows every gold string; a turn whose gold is empty (an
    elliptical follow-up with nothing before it) is right when no answer is claimed.

    Returns:
        One row per group and an ``all`` row; the retrieval columns are not measured (0) and
        ``n`` counts turns.
    """
    per_group: dict[str, list[tuple[str, AnswerScore]]] = {}
    latency: dict[str, list[float]] = {}
    for conv in conversations:
        history: list[str] = []
        for turn in conv["turns"]:
            t0 = time.perf_counter()
            answer = service.ask(turn["question"], history=tuple(history))
            latency.setdefault(conv["group"], []).append((time.perf_counter() - t0) * 1000)
            score = score_answer(answer, turn.get("answer") or [])
            per_group.setdefault(conv["group"], []).append((turn.get("kind", ""), score))
            history.append(turn["question"])
    per_group["all"] = [s for ss in per_group.values() for s in ss]
    latency["all"] = [ms for ls in latency.values() for ms in ls]
    rows = []
    for group, scored in [
        *sorted((g, s) for g, s in per_group.items() if g != "all"),
        ("all", per_group["all"]),
    ]:
        lat = latency[group]
        rows.append(
            EvalRow(
                config="follow-ups",
                group=group,
                n=len(scored),
                recall_at_1=0.0,
                recall_at_5=0.0,
                mrr_at_10=0.0,
                p50_ms=round(statistics.median(lat), 1),
                p95_ms=round(_pct(lat, 0.95), 1),
                weak=0,
                **_answer_fields(scored),
            )
        )
    return rows


def format_table(rows: Sequence[EvalRow]) -> str:
    """A plain-text table of evaluation rows (``none`` rows report rejections)."""
    head = (
        f"{'config':<18} {'group':<12} {'n':>3} {'R@1':>6} {'R@5':>6} {'MRR@10':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'weak':>5} {'ans':>6} {'items':>6} {'cites':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.group == "none":
            lines.append(
                f"{r.config:<18} {r.group:<12} {r.n:>3} {'':>6} {'':>6} {'':>7} "
                f"{r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.weak:>5}{_answer_columns(r)}"
                f"  (search rejected {r.weak}/{r.n}"
                + (
                    f", no answer claimed {round((r.answer_accuracy or 0) * r.n)}/{r.n})"
                    if r.answered
                    else ")"
                )
            )
            continue
        if r.config == "follow-ups":
            lines.append(
                f"{r.config:<18} {r.group:<12} {r.n:>3} {'':>6} {'':>6} {'':>7} "
                f"{r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {'':>5}{_answer_columns(r)}"
            )
            continue
        lines.append(
            f"{r.config:<18} {r.group:<12} {r.n:>3} {r.recall_at_1:>6.3f} "
            f"{r.recall_at_5:>6.3f} {r.mrr_at_10:>7.3f} {r.p50_ms:>7.1f} "
            f"{r.p95_ms:>7.1f} {r.weak:>5}{_answer_columns(r)}"
        )
    return "\n".join(lines)


def _answer_columns(r: EvalRow) -> str:
    def cell(v: float | None) -> str:
        return f" {v:>6.3f}" if v is not None else f" {'':>6}"

    if not r.answered:
        return ""
    return cell(r.answer_accuracy) + cell(r.item_recall) + cell(r.citation_precision)


def main(settings: Settings, args: argparse.Namespace) -> int:
    """``qa eval``: print the table (or JSON) for the chosen modes."""
    from qa.app.service import QAService

    service = QAService(settings)
    service.ensure_index()
    if args.file is None and not DEFAULT_FILE.exists():
        raise QAError(f"no question file: give --file (the default, {DEFAULT_FILE}, is not here)")
    questions = load_questions(args.file or DEFAULT_FILE)
    configs: Sequence[tuple[str, str, bool]] = CONFIGS
    if args.mode and "all" not in args.mode:
        configs = [c for c in CONFIGS if c[1] in args.mode]
    without = frozenset(w for arg in args.without or () for w in arg.split(",") if w)
    unknown = sorted(without - set(WIDENING_STAGES))
    if unknown:
        raise QAError(
            f"unknown stage for --without: {', '.join(unknown)} "
            f"(stages: {', '.join(WIDENING_STAGES)})"
        )
    rows = evaluate(service, questions, configs, k=max(10, args.k), without=without)
    followups = getattr(args, "followups", None)
    if followups is None and args.file is None and FOLLOWUPS_FILE.exists():
        followups = FOLLOWUPS_FILE
    if followups:
        rows += evaluate_followups(service, load_conversations(followups))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
    else:
        print(f"model: {service.embedder.description}")
        print(f"questions: {len(questions)} from {args.file or DEFAULT_FILE}")
        if without:
            print(f"without: {', '.join(sorted(without))}")
        print(format_table(rows))
    return 0
