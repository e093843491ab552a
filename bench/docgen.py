"""The seeds written out as PDF, Word, HTML and Markdown, and as a scanned page: test documents.

Every format gets the same text: each seed's decoded lines, headline first. PDFs are set with
fpdf2 in Noto Sans CJK from Debian's ``fonts-noto-cjk``. That font is a CID-keyed CFF font, for
which fpdf2 writes an embedded encoding CMap that pdfminer cannot read and pypdf measures
wrongly (a space between every two characters); Word, WPS and most converters write a TrueType
font under Identity-H instead, so :func:`cjk_font` by default converts the characters needed
to a small TrueType font first (``flavour="cff"`` keeps the CFF original, for the extractor
comparison in docs/documents.md). A "scan" is a page rendered to an image and put in a PDF
with no text layer.

``python -m bench.docgen OUT`` writes ``OUT/<format>/`` for every format, each with a copy of
``tests/eval/questions.jsonl`` whose ``doc`` names are those of that folder, so that
``qa eval --seeds OUT/pdf --index OUT/index-pdf --file OUT/pdf/questions.jsonl`` compares
with the ``.txt`` seeds.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import string
from collections.abc import Iterable, Sequence
from pathlib import Path

from qa.ingest.decode import decode

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
#: Index of "Noto Sans CJK SC" in the collection.
NOTO_SC = 2
FORMATS = ("txt", "pdf", "docx", "html", "md")
#: Characters every generated font carries besides those of the texts.
_EXTRA = string.printable + "，。！？：；、（）“”‘’《》【】…—·　①②③④⑤一二三四五六七八九十第页"


def seed_texts(seeds_dir: Path = SEEDS) -> dict[str, str]:
    """Each seed's decoded text by file stem, lines as in the file."""
    return {p.stem: decode(p.read_bytes(), p.name)[0] for p in sorted(seeds_dir.glob("*.txt"))}


def lines_of(text: str) -> list[str]:
    """The non-empty lines of a text, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------- fonts


def _otf_to_ttf(font: object) -> None:
    """Turn a CFF-outline font into a TrueType-outline one, in place (fontTools' recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    tt = font  # a fontTools TTFont
    order = tt.getGlyphOrder()  # type: ignore[attr-defined]
    glyph_set = tt.getGlyphSet()  # type: ignore[attr-defined]
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    tt["loca"] = newTable("loca")  # type: ignore[index]
    tt["glyf"] = glyf = newTable("glyf")  # type: ignore[index]
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del tt["CFF "]  # type: ignore[attr-defined]
    if "VORG" in tt:  # type: ignore[operator]
        del tt["VORG"]  # type: ignore[attr-defined]
    glyf.compile(tt)
    hmtx = tt["hmtx"]  # type: ignore[index]
    for name, glyph in glyf.glyphs.items():
        width = hmtx[name][0]
        hmtx[name] = (width, getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
        "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
        "maxComponentElements",
    ):  # fmt: skip
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    tt["maxp"] = maxp  # type: ignore[index]
    post = tt["post"]  # type: ignore[index]
    post.formatType = 3.0
    tt.sfntVersion = "\x00\x01\x00\x00"  # type: ignore[attr-defined]


def cjk_font(chars: Iterable[str], cache: Path, *, flavour: str = "ttf") -> Path:
    """Noto Sans CJK SC cut down to ``chars`` (plus ASCII and common punctuation).

    Args:
        chars: Characters the documents use.
        cache: Folder for the font file (named by a hash of the characters).
        flavour: ``"ttf"``: TrueType outlines (what fpdf2 writes under Identity-H);
            ``"cff"``: the original CFF outlines.

    Returns:
        The font file.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    wanted = "".join(sorted(set(chars) | set(_EXTRA)))
    digest = hashlib.sha1(wanted.encode()).hexdigest()[:12]
    path = cache / f"noto-cjk-sc-{digest}.{'ttf' if flavour == 'ttf' else 'otf'}"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    font = TTFont(str(NOTO_CJK), fontNumber=NOTO_SC)
    options = subset.Options()
    options.desubroutinize = True
    options.layout_features = []
    options.name_IDs = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text=wanted)
    sub.subset(font)
    if flavour == "ttf":
        _otf_to_ttf(font)
    font.save(str(path.with_suffix(".part")))
    path.with_suffix(".part").rename(path)
    return path


# --------------------------------------------------------------------------- writers


def write_pdf(lines: Sequence[str], path: Path, font: Path, *, columns: int = 1) -> int:
    """A PDF of ``lines``, one paragraph each, first as a headline; returns its page count.

    Paragraphs after the headline are indented by two characters, as Chinese text is; a page
    number "- N -" stands at the foot of every page.
    """
    from fpdf import FPDF

    class _Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("cjk", size=9)
            self.cell(0, 10, f"- {self.page_no()} -", align="C")

    pdf = _Doc(format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 9, lines[0] if lines else "", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    body = ["\u3000\u3000" + line for line in lines[1:]]
    if columns == 1:
        for line in body:
            pdf.multi_cell(0, 6.5, line, new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    else:
        with pdf.text_columns(ncols=columns, gutter=8, text_align="LEFT") as cols:
            for line in body:
                cols.write(line + "\n")
    pdf.output(str(path))
    return pdf.page_no()


def write_scan(pdf_path: Path, out: Path, *, page: int | None = 0, scale: float = 2.0) -> None:
    """A PDF of pages of ``pdf_path`` as pictures only (no text layer): a scan.

    Args:
        pdf_path: The PDF to "scan".
        out: The scanned PDF.
        page: The page to scan (0-based), or None for every page.
        scale: Pixels per PDF point (2: 144 dpi).
    """
    import pypdfium2 as pdfium
    from fpdf import FPDF

    doc = pdfium.PdfDocument(str(pdf_path))
    scan = FPDF(format="A4")
    try:
        for number in range(len(doc)) if page is None else [page]:
            image = doc[number].render(scale=scale, grayscale=True).to_pil()
            png = out.with_name(f"{out.stem}-{number}.png")
            image.save(png)
            scan.add_page()
            scan.image(str(png), x=0, y=0, w=210, h=297)
            png.unlink()
    finally:
        doc.close()
    scan.output(str(out))


def write_docx(lines: Sequence[str], path: Path) -> None:
    """A Word document: the headline as Heading 1, then one paragraph per line."""
    from docx import Document

    doc = Document()
    if lines:
        doc.add_heading(lines[0], level=1)
    for line in lines[1:]:
        doc.add_paragraph(line)
    doc.save(str(path))


def write_html(lines: Sequence[str], path: Path) -> None:
    """A saved web page: navigation and footer around an article of the lines."""
    head = html.escape(lines[0]) if lines else ""
    paras = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines[1:])
    page = (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{head}</title></head><body>\n"
        '<nav><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/about">关于我们</a>'
        ' | <a href="/contact">联系我们</a></nav>\n'
        f"<article><h1>{head}</h1>\n{paras}\n</article>\n"
        "<footer><p>版权所有 © 示例网站 鲁ICP备00000000号</p></footer>\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def write_markdown(lines: Sequence[str], path: Path) -> None:
    """A Markdown file: the headline as ``#``, then one paragraph per line (escaped)."""
    escaped = [_MD_SPECIAL.sub(r"\\\1", line) for line in lines]
    out = ["# " + escaped[0], *escaped[1:]] if escaped else []
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")


def write_folder(
    fmt: str, dest: Path, texts: dict[str, str], font: Path | None = None
) -> list[Path]:
    """Write every text in one format into ``dest``; returns the files."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, text in texts.items():
        path = dest / f"{stem}.{fmt}"
        lines = lines_of(text)
        if fmt == "txt":
            path.write_text(text, encoding="utf-8")
        elif fmt == "pdf":
            assert font is not None
            write_pdf(lines, path, font)
        elif fmt == "docx":
            write_docx(lines, path)
        elif fmt == "html":
            write_html(lines, path)
        elif fmt == "md":
            write_markdown(lines, path)
        else:
            raise ValueError(f"unknown format {fmt}")
        written.append(path)
    return written


def write_questions(dest: Path, fmt: str, source: Path = QUESTIONS) -> Path:
    """The evaluation questions with their ``doc`` renamed to this folder's files."""
    out = dest / "questions.jsonl"
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("doc"):
                row["doc"] = str(Path(row["doc"]).with_suffix(f".{fmt}"))
            rows.append(json.dumps(row, ensure_ascii=False))
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.docgen OUT [--formats pdf,docx,...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args(argv)
    texts = seed_texts()
    font = cjk_font("".join(texts.values()), args.out / "fonts")
    for fmt in args.formats.split(","):
        folder = args.out / fmt
        write_folder(fmt, folder, texts, font)
        write_questions(folder, fmt)
        print(f"{folder}: {len(texts)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
