"""Extraction speed per document format, and a build of 100 PDFs against the same text as .txt.

``python -m bench.formats [--docs 100] [--ocr]`` prints:

* pages per second of :func:`qa.corpus.read_document` (reading, extracting and cleaning) on the
  seeds written in each format (:mod:`bench.docgen`). A "page" is one page of the PDF of the
  same text, so the formats are compared on the same amount of text; OCR of one scanned page
  with ``--ocr``;
* the time of ``build_index`` on ``--docs`` synthetic documents (:func:`bench.synth.write_corpus`)
  as ``.txt`` and as PDF, with the benchmark's stand-in embedder (:class:`bench.synth.HashEmbedder`,
  so the model's encoding, the same for both, does not hide the difference), and the time of
  the reading stage alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import docgen
from bench.synth import HashEmbedder, write_corpus


def _pages(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def extraction(work: Path, repeat: int, ocr: bool) -> list[tuple[str, int, float]]:
    """``(format, pages, seconds per run)`` of reading every seed in each format."""
    from qa.ingest.corpus import read_document

    texts = docgen.seed_texts()
    font = docgen.cjk_font("".join(texts.values()), work / "fonts")
    folders = {fmt: docgen.write_folder(fmt, work / fmt, texts, font) for fmt in docgen.FORMATS}
    pages = sum(_pages(p) for p in folders["pdf"])
    rows = []
    for fmt, files in folders.items():
        for path in files:  # first reads import the libraries
            read_document(path, ocr=False)
        t0 = time.perf_counter()
        for _ in range(repeat):
            for path in files:
                read_document(path, ocr=False)
        rows.append((fmt, pages, (time.perf_counter() - t0) / repeat))
    if ocr:
        scan = work / "scan.pdf"
        docgen.write_scan(folders["pdf"][0], scan)
        read_document(scan, ocr=True)  # loads the models
        t0 = time.perf_counter()
        read_document(scan, ocr=True)
        rows.append(("pdf, scanned (OCR)", 1, time.perf_counter() - t0))
    return rows


def build_pair(work: Path, docs: int) -> dict[str, tuple[int, float, float]]:
    """``{format: (pages, build seconds, read-stage seconds)}`` for .txt and .pdf seeds."""
    from qa.query.translate import vocabulary_tables
    from qa.settings import Settings
    from qa.store.build import build_index

    txt = work / "build-txt"
    n = write_corpus(txt, round(docs * 9.3))
    assert n == docs, n
    pdf = work / "build-pdf"
    pdf.mkdir()
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(txt.glob("*.txt"))}
    font = docgen.cjk_font("".join(texts.values()), work / "fonts")
    pages = 0
    for stem, text in texts.items():
        pages += docgen.write_pdf(docgen.lines_of(text), pdf / f"{stem}.pdf", font)
    out = {}
    # Twice over: the first builds import the libraries and load the dictionaries.
    for label, seeds in (("txt", txt), ("pdf", pdf), ("txt", txt), ("pdf", pdf)):
        embedder = HashEmbedder()
        settings = Settings(
            seeds_dir=seeds, index_dir=work / f"index-{label}", embed_model=embedder.name
        )
        marks: dict[str, float] = {}
        t0 = time.perf_counter()

        def progress(stage: str, done: int, total: int, marks: dict[str, float] = marks) -> None:
            marks.setdefault(stage, time.perf_counter())

        report = build_index(
            settings, embedder, force=True, progress=progress, tables=vocabulary_tables
        )  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
        out[label] = (pages if label == "pdf" else 0, seconds, marks["read"] - t0)
        assert report.documents == docs, report
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ocr", action="store_true", help="also time OCR of one scanned page")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    print(f"{'format':<20} {'pages':>6} {'seconds':>8} {'pages/s':>8}")
    for fmt, pages, seconds in extraction(work, args.repeat, args.ocr):
        print(f"{fmt:<20} {pages:>6} {seconds:>8.3f} {pages / seconds:>8.2f}")
    print()
    built = build_pair(work, args.docs)
    print(f"build of {args.docs} documents (stand-in embedder)")
    print(f"{'seeds':<6} {'pages':>6} {'build s':>8} {'reading s':>10}")
    for label, (pages, seconds, read) in built.items():
        print(f"{label:<6} {pages or '':>6} {seconds:>8.2f} {read:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
