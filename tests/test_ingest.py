"""Readers of PDF, Word, HTML and Markdown, on the seeds written in each format (bench/docgen),
bad files, adding and removing documents, and retrieval on every format against the .txt seeds.
"""

from __future__ import annotations

import difflib
import zipfile
from pathlib import Path

import pytest

from bench import docgen
from qa.errors import DocumentError
from qa.ingest.corpus import Document, load_corpus, read_document
from qa.ingest.library import add_file, clean_name, remove_file, trash_dir
from qa.ingest.readers import Options, extensions, reader_for
from qa.query.translate import vocabulary_tables
from qa.settings import Settings

pytest.importorskip("pypdfium2")
pytest.importorskip("docx")
pytest.importorskip("trafilatura")
pytest.importorskip("fpdf")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def formats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds written as txt, pdf, docx, html and md, one folder each."""
    if not docgen.NOTO_CJK.exists():
        pytest.skip("fonts-noto-cjk is not installed (make browser installs it)")
    out = tmp_path_factory.mktemp("formats")
    texts = docgen.seed_texts()
    font = docgen.cjk_font("".join(texts.values()), out / "fonts")
    for fmt in docgen.FORMATS:
        docgen.write_folder(fmt, out / fmt, texts, font)
        docgen.write_questions(out / fmt, fmt)
    return out


@pytest.fixture(scope="session")
def txt_docs() -> dict[str, Document]:
    return {Path(d.doc_id).stem: d for d in load_corpus(SEEDS).documents}


@pytest.mark.parametrize("fmt", ["docx", "html", "md"])
def test_each_format_gives_the_txt_documents_exactly(formats, txt_docs, fmt):
    corpus = load_corpus(formats / fmt, ocr=False)
    assert corpus.skipped == []
    assert len(corpus.documents) == len(txt_docs)
    for doc in corpus.documents:
        want = txt_docs[Path(doc.doc_id).stem]
        assert doc.doc_id.endswith(f".{fmt}")
        assert (doc.text, doc.title, doc.date, doc.source) == (
            want.text,
            want.title,
            want.date,
            want.source,
        )
        assert doc.encoding == {"md": "markdown"}.get(fmt, fmt)
        assert doc.pages == ()


def test_pdf_gives_the_txt_documents_with_sentences_whole(formats, txt_docs):
    corpus = load_corpus(formats / "pdf", ocr=False)
    assert corpus.skipped == []
    identical = 0
    for doc in corpus.documents:
        want = txt_docs[Path(doc.doc_id).stem]
        assert (doc.title, doc.date, doc.source) == (want.title, want.date, want.source)
        ratio = difflib.SequenceMatcher(None, want.text, doc.text, autojunk=False).ratio()
        assert ratio > 0.998, doc.doc_id
        # Lines wrapped at the page's edge are joined: about one paragraph per .txt line.
        assert abs(doc.text.count("\n") - want.text.count("\n")) <= 2, doc.doc_id
        identical += doc.text == want.text
    assert identical >= 3


def test_pdf_pages_and_page_of_an_offset(formats):
    path = next((formats / "pdf").glob("002_*.pdf"))
    doc = read_document(path, ocr=False)
    pypdfium2 = pytest.importorskip("pypdfium2")
    pages = len(pypdfium2.PdfDocument(str(path)))
    assert pages >= 3 and len(doc.pages) == pages and doc.pages[0] == 0
    assert list(doc.pages) == sorted(doc.pages)
    assert doc.page_at(0) == 1
    assert doc.page_at(len(doc.text) - 1) == pages
    assert doc.page_at(doc.pages[1]) == 2 and doc.page_at(doc.pages[1] - 1) == 1
    # Page numbers at the foot of each page are not part of the text.
    assert "- 1 -" not in doc.text and "- 2 -" not in doc.text
    unpaged = read_document(SEEDS / path.with_suffix(".txt").name)
    assert unpaged.pages == () and unpaged.page_at(10) is None


def test_pdf_in_two_columns_reads_column_by_column(formats, tmp_path, txt_docs):
    texts = docgen.seed_texts()
    stem = next(s for s in texts if s.startswith("001"))
    font = next((formats / "fonts").glob("*.ttf"))
    path = tmp_path / "columns.pdf"
    docgen.write_pdf(docgen.lines_of(texts[stem]), path, font, columns=2)
    doc = read_document(path, ocr=False)
    ratio = difflib.SequenceMatcher(None, txt_docs[stem].text, doc.text, autojunk=False).ratio()
    assert ratio > 0.99


def test_docx_keeps_headings_and_list_numbers(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("诸城作风建设年活动安排", level=1)
    d.add_paragraph("活动分为五个阶段:")
    for phase in ("宣传发动、统一思想阶段", "寻标对标、公开承诺阶段", "督查整改、推动落实阶段"):
        d.add_paragraph(phase, style="List Number")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "阶段"
    table.rows[0].cells[1].text = "时间"
    path = tmp_path / "plan.docx"
    d.save(str(path))
    text = reader_for(path).read(path.read_bytes(), path.name, Options()).text
    assert text.splitlines() == [
        "诸城作风建设年活动安排",
        "活动分为五个阶段:",
        "1.宣传发动、统一思想阶段",
        "2.寻标对标、公开承诺阶段",
        "3.督查整改、推动落实阶段",
        "阶段 | 时间",
    ]


def test_markdown_keeps_numbers_and_drops_markup(tmp_path):
    path = tmp_path / "note.md"
    path.write_text(
        "# 标题\n\n正文**加粗**和`代码`,\n接着一行。\n\n1. 第一步\n2. 第二步\n\n- 要点\n",
        encoding="utf-8",
    )
    text = reader_for(path).read(path.read_bytes(), path.name, Options()).text
    assert text.splitlines() == [
        "标题",
        "正文加粗和代码,接着一行。",
        "1. 第一步",
        "2. 第二步",
        "• 要点",
    ]
    english = tmp_path / "en.md"
    english.write_text("two\nwords, and\nmore", encoding="utf-8")
    assert reader_for(english).read(english.read_bytes(), "en.md", Options()).text == (
        "two words, and more"
    )


def test_html_drops_navigation_and_footer(formats):
    path = next((formats / "html").glob("002_*.html"))
    doc = read_document(path)
    assert "关于我们" not in doc.text and "ICP" not in doc.text
    assert doc.title.startswith("解读:诸城")


# --------------------------------------------------------------------------- bad files


def _encrypted_pdf(path: Path, font: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "机密文件。这里的内容需要密码。")
    pdf.output(str(path))


def _zip_bomb(path: Path, unpacked: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * unpacked)


def test_bad_files_are_named_with_their_reason_and_the_rest_builds(formats, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    good = next((formats / "pdf").glob("001_*.pdf"))
    (seeds / "good.pdf").write_bytes(good.read_bytes())
    (seeds / "good.docx").write_bytes(next((formats / "docx").glob("002_*.docx")).read_bytes())
    _encrypted_pdf(seeds / "locked.pdf", next((formats / "fonts").glob("*.ttf")))
    (seeds / "corrupt.docx").write_bytes(b"PK\x03\x04 this is not really a zip file")
    _zip_bomb(seeds / "bomb.docx", 3_000_000)
    (seeds / "empty.pdf").write_bytes(b"")
    (seeds / "huge.md").write_text("# 大文件\n\n" + "正文。" * 200_000, encoding="utf-8")
    docgen.write_scan(good, seeds / "scan.pdf")
    (seeds / "broken.pdf").write_bytes(good.read_bytes()[:2000])

    corpus = load_corpus(seeds, max_bytes=300_000, ocr=False)

    assert sorted(d.doc_id for d in corpus.documents) == ["good.docx", "good.pdf"]
    reasons = {s.name: s.reason for s in corpus.skipped}
    assert set(reasons) == {
        "locked.pdf", "corrupt.docx", "bomb.docx", "empty.pdf", "huge.md", "scan.pdf",
        "broken.pdf",
    }  # fmt: skip
    for name, reason in reasons.items():
        assert name in reason
    assert "encrypted PDF" in reasons["locked.pdf"] and "加密" in reasons["locked.pdf"]
    assert "damaged or not a Word file" in reasons["corrupt.docx"]
    assert "zip bomb" in reasons["bomb.docx"]
    assert "empty file" in reasons["empty.pdf"] and "空文件" in reasons["empty.pdf"]
    assert "too large" in reasons["huge.md"]
    assert "no text layer, skipped / 无文字层，已跳过" in reasons["scan.pdf"]
    assert "damaged" in reasons["broken.pdf"]


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    _zip_bomb(tmp_path / "bomb.docx", 2_000_000)
    import docx

    def never(*args, **kwargs):
        raise AssertionError("a zip bomb must not be opened")

    monkeypatch.setattr(docx, "Document", never)
    with pytest.raises(Exception, match="unpacks"):
        read_document(tmp_path / "bomb.docx", max_bytes=100_000)


@pytest.mark.slow
def test_scanned_page_is_read_by_ocr_offline(formats, tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    source = next((formats / "pdf").glob("002_*.pdf"))
    docgen.write_scan(source, tmp_path / "scan.pdf")
    doc = read_document(tmp_path / "scan.pdf", ocr=True)
    assert doc.pages == (0,)
    # OCR reads most of the page: the campaign and its first question are there.
    assert "作风建设年" in doc.text
    assert "诸城市委以视频形式召开了全市开展" in doc.text
    first_page = read_document(source, ocr=False)
    page1 = first_page.text[: first_page.pages[1]]
    ratio = difflib.SequenceMatcher(None, page1, doc.text, autojunk=False).ratio()
    assert ratio > 0.8


# --------------------------------------------------------------------------- add and remove


def _settings(tmp_path: Path, **kw) -> Settings:
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    return Settings(seeds_dir=seeds, index_dir=tmp_path / "index", **kw)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("报告 2024.PDF", "报告 2024.pdf"),
        ("a\x00b\u202e.txt", "ab.txt"),
        ("..hidden.md", "hidden.md"),
        ("what?*<>.docx", "what.docx"),
        ("a?b.md", "a_b.md"),
    ],
)
def test_clean_name(name, clean):
    assert clean_name(name) == clean


@pytest.mark.parametrize("name", ["../etc/passwd.txt", "/abs.txt", "a\\b.txt", "..", "...txt"])
def test_clean_name_refuses_paths(name):
    with pytest.raises(DocumentError):
        clean_name(name)


def test_add_checks_then_writes_and_remove_moves_to_trash(formats, tmp_path):
    settings = _settings(tmp_path, max_file_bytes=500_000, ocr=False)
    seeds = settings.seeds_dir
    pdf = next((formats / "pdf").glob("002_*.pdf"))
    with pytest.raises(DocumentError, match="not a path"):
        add_file(settings, pdf, name="../evil/解读.pdf")
    added = add_file(settings, pdf, name="诸城 解读?.PDF")
    assert added.name == "诸城 解读.pdf"
    assert (seeds / added.name).read_bytes() == pdf.read_bytes()
    assert [p.name for p in seeds.iterdir()] == [added.name]  # nothing left aside
    with pytest.raises(DocumentError, match="same content as 诸城 解读.pdf"):
        add_file(settings, pdf, name="copy.pdf")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(DocumentError, match=".exe files are not read"):
        add_file(settings, exe)
    big = tmp_path / "big.txt"
    big.write_text("标题\n" + "正文。" * 300_000, encoding="utf-8")
    with pytest.raises(DocumentError, match="too large"):
        add_file(settings, big)
    docgen.write_scan(pdf, tmp_path / "scan.pdf")
    with pytest.raises(DocumentError, match="no text layer"):
        add_file(settings, tmp_path / "scan.pdf")
    # A second file of the same name gets a free one.
    other = next((formats / "pdf").glob("001_*.pdf"))
    assert add_file(settings, other, name=added.name).name == "诸城 解读-2.pdf"
    assert sorted(p.name for p in seeds.iterdir()) == ["诸城 解读-2.pdf", "诸城 解读.pdf"]

    moved = remove_file(settings, added.name)
    assert moved.parent == trash_dir(settings) == seeds.with_name("seeds.trash")
    assert moved.read_bytes() == pdf.read_bytes()
    assert not (seeds / added.name).exists()
    for bad in ("../seeds.trash/" + moved.name, "/etc/passwd", "missing.pdf", ""):
        with pytest.raises(DocumentError):
            remove_file(settings, bad)


def test_service_adds_and_removes_with_an_incremental_rebuild(tmp_path, fake_embedder):
    from qa.app.service import QAService

    settings = _settings(tmp_path, embed_model=fake_embedder.name)
    first = next(SEEDS.glob("000_*.txt"))
    (settings.seeds_dir / first.name).write_bytes(first.read_bytes())
    service = QAService(settings, embedder=fake_embedder)
    service.ensure_index()
    source = next(SEEDS.glob("002_*.txt"))
    md = tmp_path / "plan.md"
    md.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    added, refused, report = service.add_documents([(md, None), (first, "again.txt")])
    assert added == ["plan.md"] and len(refused) == 1 and "same content" in refused[0]
    assert report is not None and report.rebuilt and report.reused > 0
    assert "plan.md" in service.index.documents
    assert service.search("诸城作风建设年活动分为哪五个阶段").hits[0].chunk.doc_id == "plan.md"
    service.remove_document("plan.md")
    assert "plan.md" not in service.index.documents
    assert not service.status().stale


def test_extensions_are_those_the_readers_read():
    assert extensions() == (".txt", ".pdf", ".docx", ".html", ".htm", ".md", ".markdown")
    for ext in extensions():
        assert reader_for(f"x{ext.upper()}") is not None
    assert reader_for("x.rtf") is None


# --------------------------------------------------------------------------- the same answers


def _ranks(seeds: Path, index: Path, questions: Path) -> dict[str, int | None]:
    from qa.app.evaluate import _rank_of, load_questions
    from qa.app.service import QAService
    from qa.search.search import search

    service = QAService(Settings(seeds_dir=seeds, index_dir=index))
    service.ensure_index()
    out = {}
    for q in load_questions(questions):
        if q.get("doc"):
            hits = search(service.index, q["question"], embedder=service.embedder, mode="hybrid")
            out[q["id"]] = _rank_of(hits.hits, q["doc"], q["expect"])
    return out


@pytest.mark.slow
def test_every_format_finds_the_same_passages_as_txt(formats, tmp_path):
    base = _ranks(formats / "txt", tmp_path / "index-txt", formats / "txt" / "questions.jsonl")
    top5 = {q for q, r in base.items() if r and r <= 5}
    assert len(top5) > 0.8 * len(base)
    for fmt in ("pdf", "docx", "html", "md"):
        ranks = _ranks(formats / fmt, tmp_path / f"index-{fmt}", formats / fmt / "questions.jsonl")
        found = {q for q, r in ranks.items() if r and r <= 5}
        # R@5 within one question of the .txt seeds'.
        assert len(top5 ^ found) <= 1, (fmt, sorted(top5 ^ found))


@pytest.mark.slow
def test_cli_add_and_remove(formats, tmp_path, capsys):
    from qa.app.cli import main

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    first = next(SEEDS.glob("000_*.txt"))
    (seeds / first.name).write_bytes(first.read_bytes())
    flags = ["--seeds", str(seeds), "--index", str(tmp_path / "index")]
    assert main([*flags, "build"]) == 0
    pdf = next((formats / "pdf").glob("002_*.pdf"))
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    assert main([*flags, "add", str(pdf), str(empty)]) == 1  # one refused
    out, err = capsys.readouterr()
    assert f"added: {pdf.name}" in out and "index rebuilt: 2 documents" in out
    assert "refused: empty.docx: empty file" in err
    assert (seeds / pdf.name).exists()
    assert main([*flags, "remove", pdf.name]) == 0
    out, _ = capsys.readouterr()
    assert f"removed: {pdf.name}" in out and "index rebuilt: 1 documents" in out
    assert not (seeds / pdf.name).exists()
    assert main([*flags, "remove", "../" + first.name]) == 2


def test_a_folder_mixing_every_format_builds(formats, tmp_path, fake_embedder):
    from qa.store.build import build_index

    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    picks = {"txt": "000", "pdf": "001", "docx": "002", "html": "003", "md": "004"}
    for fmt, prefix in picks.items():
        source = next((formats / fmt).glob(f"{prefix}_*.{fmt}"))
        dest = seeds / ("sub" if fmt == "html" else "") / source.name
        dest.write_bytes(source.read_bytes())
    (seeds / "sub" / "page.htm").write_bytes(next((formats / "html").glob("000_*")).read_bytes())
    settings = Settings(
        seeds_dir=seeds, index_dir=tmp_path / "index", embed_model=fake_embedder.name
    )
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert report.documents == 6 and report.skipped == []
    # The .htm copy of 000 is read too (its bytes differ from the .txt's).
    corpus = load_corpus(seeds)
    assert {Path(d.doc_id).suffix for d in corpus.documents} == {
        ".txt", ".pdf", ".docx", ".html", ".htm", ".md",
    }  # fmt: skip


def test_cards_and_document_view_show_the_page(formats):
    from qa.app.render import card_html, document_html, page_label
    from qa.ingest.chunk import Chunk
    from qa.search.search import Hit

    doc = read_document(next((formats / "pdf").glob("002_*.pdf")), ocr=False)
    start = doc.pages[1] + 5
    chunk = Chunk(0, doc.doc_id, start, start + 20, doc.text[start : start + 20], "")
    hit = Hit(chunk, 1.0, 1, 1.0, 1.0, ())
    assert page_label(2) == "第 2 页 / p. 2" and page_label(None) == ""
    assert "第 2 页 / p. 2" in card_html(1, hit, doc)
    assert "第 2 页 / p. 2" in document_html(doc, chunk.start, chunk.end)
    txt = read_document(next(SEEDS.glob("002_*.txt")))
    assert "页 / p." not in card_html(1, Hit(chunk, 1.0, 1, 1.0, 1.0, ()), txt)
