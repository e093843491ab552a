"""Four PDF text extractors measured on Chinese PDFs made from the seeds (docs/documents.md).

``python -m bench.pdfcompare [--pymupdf PATH]`` writes the test PDFs (:mod:`bench.docgen`)
into a temporary folder and prints, per set and extractor: text similarity to the source (in
reading order, whitespace ignored), spaces put between two Chinese characters, line breaks
inside paragraphs, full-width punctuation kept, and pages per second. PyMuPDF is not a
dependency of the project (AGPL); ``--pymupdf`` names a folder where it is installed
(``pip install --no-deps --target PATH pymupdf``) to include it.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.docgen import cjk_font, lines_of, seed_texts, write_pdf

_HAN = "\u3400-\u9fff\uf900-\ufaff"
_SPACE_IN_HAN = re.compile(f"(?<=[{_HAN}])[ \u3000]+(?=[{_HAN}])")
_FOOTER = re.compile(r"^\s*-\s*\d+\s*-\s*$", re.M)
_WS = re.compile(r"\s+")
_FULL = str.maketrans({",": "，", ":": "：", "!": "！", "?": "？", ";": "；", "(": "（", ")": "）"})


def _pypdf(path: Path) -> list[str]:
    import pypdf

    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def _pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _pymupdf(path: Path) -> list[str]:
    import pymupdf  # type: ignore[import-not-found]

    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]


def _pypdfium2(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


EXTRACTORS: dict[str, Callable[[Path], list[str]]] = {
    "pypdf": _pypdf,
    "pdfplumber": _pdfplumber,
    "PyMuPDF": _pymupdf,
    "pypdfium2": _pypdfium2,
}


def _measure(source: list[str], pages: list[str]) -> dict[str, float]:
    text = _FOOTER.sub("", "\n".join(pages)).replace("\r", "")
    want = _WS.sub("", "".join(source))
    got = _WS.sub("", text)
    ratio = difflib.SequenceMatcher(None, want, got, autojunk=False).ratio() if got else 0.0
    lines = [line for line in text.split("\n") if line.strip()]
    fw_want = sum(want.count(c) for c in "，：！？；（）")
    fw_got = sum(got.count(c) for c in "，：！？；（）")
    return {
        "similarity": ratio,
        "spaces": len(_SPACE_IN_HAN.findall(text)),
        "breaks": max(0, len(lines) - len(source)),
        "fullwidth": fw_got / fw_want if fw_want else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pymupdf", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    names = list(EXTRACTORS)
    if args.pymupdf:
        sys.path.insert(0, str(args.pymupdf))
    else:
        names.remove("PyMuPDF")
    texts = seed_texts()
    work = Path(tempfile.mkdtemp(prefix="pdfcompare-"))
    chars = "".join(texts.values())
    fonts = {
        "ttf": cjk_font(chars + chars.translate(_FULL), work),
        "cff": cjk_font(chars, work, flavour="cff"),
    }
    sets: dict[str, list[tuple[Path, list[str]]]] = {}
    for label, font, transform, columns in (
        ("TrueType, Identity-H", fonts["ttf"], None, 1),
        ("CFF, embedded CMap", fonts["cff"], None, 1),
        ("full-width punctuation", fonts["ttf"], _FULL, 1),
        ("two columns", fonts["ttf"], None, 2),
    ):
        rows = []
        for stem, text in texts.items():
            lines = lines_of(text.translate(transform) if transform else text)
            path = work / f"{label[:3]}-{stem}.pdf"
            write_pdf(lines, path, font, columns=columns)
            rows.append((path, lines))
        sets[label] = rows
    header = (
        f"{'set':<24} {'extractor':<11} {'similar':>8} {'spaces':>7} {'breaks':>7} "
        f"{'full-w':>7} {'pages/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, rows in sets.items():
        for name in names:
            extract = EXTRACTORS[name]
            totals = {"similarity": 0.0, "spaces": 0.0, "breaks": 0.0, "fullwidth": 0.0}
            pages = 0
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                for path, _lines in rows:
                    pages += len(extract(path))
            seconds = time.perf_counter() - t0
            for path, lines in rows:
                m = _measure(lines, extract(path))
                for key in totals:
                    totals[key] += m[key]
            n = len(rows)
            full = totals["fullwidth"] / n
            print(
                f"{label:<24} {name:<11} {totals['similarity'] / n:>8.3f} "
                f"{totals['spaces']:>7.0f} {totals['breaks']:>7.0f} "
                f"{'' if full != full else f'{full:.2f}':>7} {pages / seconds:>8.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
