"""Command line: ``qa build | search | ask | info | eval | add | remove | serve``.

Errors the user can act on are printed as one line, with a non-zero exit; never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.settings import SEARCH_MODES, WIDENING_STAGES, Settings, load_settings

logger = logging.getLogger("qa")


def _progress_bars() -> Any:
    """A build progress callback that draws one tqdm bar per stage."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    labels = {
        "read": "reading seeds",
        "embed": "encoding passages",
        "index": "indexing",
        "write": "writing index",
    }

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=max(total, 1),
                desc=labels.get(stage, stage),
                unit="vector" if stage == "embed" else "step",
                file=sys.stderr,
                leave=False,
            )
        bar.n = min(done, bar.total)
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


def _service(settings: Settings) -> Any:
    from qa.app.service import QAService

    return QAService(settings)


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    service = _service(settings)
    t0 = time.perf_counter()
    report = service.rebuild(force=args.force, progress=_progress_bars())
    print(f"model: {service.embedder.description}")
    if not report.rebuilt:
        print(f"index is up to date: {report.path}")
        return 0
    print(f"index built in {time.perf_counter() - t0:.1f} s: {report.path}")
    print(f"  because: {'; '.join(report.reasons)}")
    print(
        f"  documents: {report.documents}, chunks: {report.chunks} "
        f"(vectors: {report.encoded} encoded, {report.reused} reused)"
    )
    for s in report.skipped:
        print(f"  skipped {s.name}: {s.reason}")
    return 0


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question:
        yield " ".join(args.question)
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


def _passage_json(hit: Any, documents: dict[str, Any]) -> dict[str, Any]:
    doc = documents[hit.chunk.doc_id]
    return {
        "doc": hit.chunk.doc_id,
        "title": doc.title,
        "text": hit.chunk.text,
        "start": hit.chunk.start,
        "end": hit.chunk.end,
        "page": doc.page_at(hit.chunk.start),
        "score": round(hit.score, 6),
    }


def cmd_search(settings: Settings, args: argparse.Namespace) -> int:
    service = _service(settings)
    index = service.index
    status = 0
    for question in _questions(args):
        try:
            result = service.search(question, k=args.k, mode=args.mode)
        except QAError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
            continue
        if args.jsonl:
            row = {
                "question": question,
                "terms": list(result.terms),
                "weak": result.weak,
                "passages": [_passage_json(h, index.documents) for h in result.hits],
            }
            print(json.dumps(row, ensure_ascii=False), flush=True)
            continue
        print(f"Q: {question}")
        print(
            f"   searched for: {' '.join(result.terms)}"
            + ("   (no strong match)" if result.weak else "")
        )
        for h in result.hits:
            doc = index.documents[h.chunk.doc_id]
            text = h.chunk.text.replace("\n", " ")
            print(
                f"[{h.rank}] {h.score:.4f}  {doc.title}  ({h.chunk.doc_id} "
                f"{h.chunk.start}-{h.chunk.end})"
            )
            print(f"    {text[:160]}{'…' if len(text) > 160 else ''}")
        print()
    return status


def _ask_lines(service: Any, args: argparse.Namespace) -> int:
    """``qa ask --jsonl``: one question per input line, one JSON answer per output line.

    A line is a question, or a JSON object ``{"question": ..., "history": [earlier
    questions]}``. A line that cannot be answered gives ``{"error": ...}`` and the rest go on.
    """
    from qa.answer.result import answer_json

    failed = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        question, history = line, []
        if line.startswith("{"):
            try:
                row = json.loads(line)
                question, history = str(row["question"]), [str(h) for h in row.get("history", [])]
            except (ValueError, KeyError, TypeError) as exc:
                print(json.dumps({"error": f"bad input line: {exc}"}, ensure_ascii=False))
                failed += 1
                continue
        written = None
        try:
            if getattr(args, "llm", False):
                written = service.written_run(
                    question, k=args.k, mode=args.mode, history=history
                ).run()
                answer = written.answer
            else:
                answer = service.ask(question, k=args.k, mode=args.mode, history=history)
        except QAError as exc:
            print(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False))
            failed += 1
            continue
        row = answer_json(answer, answer.documents)
        if written is not None:
            from qa.answer.generate import written_json

            row["written"] = written_json(written)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _print_extractive(answer: Any, service: Any) -> None:
    if answer.notice:
        print(f"({answer.notice})")
    print(f"searched for: {' '.join(answer.terms)}")
    if not answer.found:
        print("No relevant passage found. Nearest passages (weak matches):")
    if answer.lead and answer.items:
        print(answer.lead)
    for s in answer.items or answer.sentences:
        label = f"{s.label}：" if s.label else ""
        print(f"- {label}{s.text} {''.join(f'[{n}]' for n in s.citations)}")


def _print_written(written: Any, service: Any) -> None:
    """``qa ask --llm``: which engine answered, the checked text and its flags, and the
    extractive answer where the written one fell back or cites nothing valid."""
    print(f"engine: {written.engine}")
    if written.notice:
        print(f"({written.notice})")
    checked = written.checked
    if checked is not None:
        print(checked.text + (" …(已停止 / stopped)" if written.stopped else ""))
        for flag in checked.flags:
            print(f"! {flag}")
    if checked is None or checked.warning:
        if checked is not None:
            print(f"! {checked.warning}")
        print()
        _print_extractive(written.answer, service)


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if getattr(args, "llm", False) and not settings.llm_url:
        raise QAError("--llm needs a model: set QA_LLM_URL or give --llm-url")
    service = _service(settings)
    if args.jsonl:
        return _ask_lines(service, args)
    if not args.question:
        raise QAError("give a question, or --jsonl to read questions from standard input")
    question = " ".join(args.question)
    if getattr(args, "llm", False):
        written = service.written_run(question, k=args.k, mode=args.mode).run()
        answer = written.answer
        _print_written(written, service)
    else:
        answer = service.ask(question, k=args.k, mode=args.mode)
        _print_extractive(answer, service)
    print()
    for n, h in enumerate(answer.passages, start=1):
        doc = answer.documents.get(h.chunk.doc_id) or service.index.documents[h.chunk.doc_id]
        print(
            f"[{n}] {doc.title} — {h.chunk.doc_id} {h.chunk.start}-{h.chunk.end} "
            f"(score {h.score:.4f})"
        )
        print(f"    {h.chunk.text.replace(chr(10), ' ')}")
    return 0


def cmd_info(settings: Settings, args: argparse.Namespace) -> int:
    from qa.app.service import QAService

    service = QAService(settings)
    st = service.status()
    print(f"model:      {st.model_description}")
    print(f"seeds:      {settings.seeds_dir}")
    print(f"index:      {st.index_dir}")
    print(f"store:      {st.store}")
    print(f"documents:  {st.documents}")
    print(f"chunks:     {st.chunks}")
    print(f"built at:   {st.built_at or '(never)'}")
    print(f"stale:      {'yes: ' + '; '.join(st.reasons) if st.stale else 'no'}")
    print(f"leftovers:  {st.leftovers} (of builds that died; the next build removes them)")
    for s in st.skipped:
        print(f"skipped:    {s['name']}: {s['reason']}")
    if st.store == "milvus":
        # Asked last: when Milvus fails, everything above is printed, then its one-line error.
        info = service.store_info()
        print(f"milvus:     {info.uri}")
        print(f"collection: {info.alias} -> {info.collection or '(none: run qa build)'}")
        print(f"rows:       {info.rows}")
    return 0


def _print_build(report: Any) -> None:
    if report is None or not report.rebuilt:
        return
    print(
        f"index rebuilt: {report.documents} documents, {report.chunks} chunks "
        f"(vectors: {report.encoded} encoded, {report.reused} reused)"
    )
    for s in report.skipped:
        print(f"  skipped {s.name}: {s.reason}")


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    """``qa add FILE...``: copy checked files into the seeds folder, then rebuild once."""
    service = _service(settings)
    added, refused, report = service.add_documents(
        [(Path(f), None) for f in args.files], progress=_progress_bars()
    )
    for name in added:
        print(f"added: {name}")
    for line in refused:
        print(f"refused: {line}", file=sys.stderr)
    _print_build(report)
    return 1 if refused else 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    """``qa remove DOC``: move a document to the trash folder beside the seeds, rebuild."""
    from qa.ingest.library import trash_dir

    service = _service(settings)
    report = service.remove_document(args.doc, progress=_progress_bars())
    print(f"removed: {args.doc} (moved to {trash_dir(settings)})")
    _print_build(report)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from qa.app.ui import launch

    launch(settings)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from qa.app.evaluate import main as eval_main

    return eval_main(settings, args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the tests and the docs)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the flags may come before or after the sub-command without one erasing the other.
    common.add_argument(
        "--seeds", type=Path, default=argparse.SUPPRESS, help="seeds folder (QA_SEEDS_DIR)"
    )
    common.add_argument(
        "--index", type=Path, default=argparse.SUPPRESS, help="index folder (QA_INDEX_DIR)"
    )
    common.add_argument(
        "--model", default=argparse.SUPPRESS, help="embedding model name or path (QA_EMBED_MODEL)"
    )
    common.add_argument(
        "--llm-url",
        default=argparse.SUPPRESS,
        help="OpenAI-compatible server that writes answers, e.g. http://127.0.0.1:11434/v1 "
        "(QA_LLM_URL)",
    )
    common.add_argument(
        "--llm-model", default=argparse.SUPPRESS, help="model name on that server (QA_LLM_MODEL)"
    )
    # Here rather than on `ask` alone: an option of the main parser's would otherwise read as
    # an abbreviation of --llm-url / --llm-model.
    common.add_argument(
        "--llm",
        action="store_true",
        default=argparse.SUPPRESS,
        help="qa ask: have the language model (QA_LLM_URL) write the answer from the passages; "
        "its citations are checked, and the extractive answer is the fallback",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more"
    )

    parser = argparse.ArgumentParser(
        prog="qa", description=__doc__.splitlines()[0], parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", parents=[common], help="build or refresh the index")
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.set_defaults(func=cmd_build)

    for name, func, helptext in (
        ("search", cmd_search, "passages for questions (arguments, or one per line on stdin)"),
        ("ask", cmd_ask, "an answer with numbered citations"),
    ):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("-k", type=int, default=None, help="passages per question")
        p.add_argument("--mode", choices=SEARCH_MODES, default=None, help="search mode")
        p.add_argument("question", nargs="*")
        p.add_argument(
            "--jsonl",
            action="store_true",
            help="one JSON object per question"
            + (
                ""
                if name == "search"
                else '; questions (or {"question", "history"} objects) on standard input'
            ),
        )
        p.set_defaults(func=func)

    p = sub.add_parser("info", parents=[common], help="model, index, counts, staleness")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("eval", parents=[common], help="retrieval quality on the evaluation set")
    p.add_argument("--file", type=Path, default=None, help="questions (JSONL)")
    p.add_argument(
        "--mode",
        action="append",
        choices=[*SEARCH_MODES, "all"],
        default=None,
        help="mode(s) to evaluate; repeat, or 'all'",
    )
    p.add_argument(
        "--followups",
        type=Path,
        default=None,
        help="conversations (JSONL) to score turn by turn; by default tests/eval/followups.jsonl "
        "with the default question file",
    )
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--without",
        action="append",
        default=None,
        metavar="STAGE",
        help="switch off a widening stage to measure it (repeat or comma-separate): "
        + ", ".join(WIDENING_STAGES),
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "add", parents=[common], help="add documents to the seeds folder, then rebuild"
    )
    p.add_argument("files", nargs="+", type=Path, help=".txt, .pdf, .docx, .html, .md files")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser(
        "remove", parents=[common], help="move a document to the trash beside the seeds, rebuild"
    )
    p.add_argument("doc", help="the document's id (its path in the seeds folder)")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("serve", parents=[common], help="start the web page")
    p.add_argument("--host", default=None, help="address to bind (QA_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (QA_PORT)")
    p.add_argument(
        "--examples-file", default=None, help="example questions, one a line (QA_EXAMPLES_FILE)"
    )
    p.add_argument(
        "--feedback-file", default=None, help="JSONL file votes are appended to (QA_FEEDBACK_FILE)"
    )
    p.set_defaults(func=cmd_serve)
    return parser


#: Libraries whose routine messages are noise on a user's terminal: bm25s logs every index
#: build ("Building index from tokens"), faiss's loader every CPU extension it could not load,
#: httpx every request gradio makes to its own page.
NOISY_LOGGERS = ("bm25s", "faiss.loader", "httpx")


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def configure_logging(level: int = logging.WARNING, libraries: int = logging.WARNING) -> None:
    """Log to stderr at ``level``, and the noisy libraries' messages only from ``libraries`` up.

    Args:
        level: Level of the root logger (INFO for the page and ``--verbose``).
        libraries: Least level shown from :data:`NOISY_LOGGERS`.
    """
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for name in NOISY_LOGGERS:
        lib = logging.getLogger(name)
        lib.setLevel(libraries)
        # bm25s sets its logger to DEBUG when it is imported, which happens later, at the
        # first build or load; a filter outlives that.
        for old in [f for f in lib.filters if isinstance(f, _AtLeast)]:
            lib.removeFilter(old)
        lib.addFilter(_AtLeast(libraries))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qa`` command."""
    args = build_parser().parse_args(argv)
    level = logging.INFO if getattr(args, "verbose", False) else logging.WARNING
    configure_logging(level, libraries=level)
    try:
        settings = load_settings(
            seeds_dir=getattr(args, "seeds", None),
            index_dir=getattr(args, "index", None),
            embed_model=getattr(args, "model", None),
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            llm_url=getattr(args, "llm_url", None),
            llm_model=getattr(args, "llm_model", None),
            examples_file=getattr(args, "examples_file", None),
            feedback_file=getattr(args, "feedback_file", None),
        )
    except ValueError as exc:  # a QA_* variable that does not parse
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(settings, args) or 0)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if argv is None:
            # The process ends next. Its last garbage collection would walk the model's,
            # the index's and the dictionaries' millions of objects (about a second after
            # `qa ask`); frozen, they are left to the exit. Not for in-process callers.
            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
