"""Index: save/load round trip, staleness, incremental rebuilds, corruption, failed builds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.app.service import QAService
from qa.errors import IndexUnavailable, SeedsError
from qa.ingest.textnorm import normalize
from qa.query.translate import vocabulary_tables
from qa.store.build import build_index
from qa.store.folder import current_build, read_manifest
from qa.store.index import load_index
from qa.versions import pipeline_version

from .conftest import FakeEmbedder


def test_build_and_load_round_trip(settings, fake_embedder):
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert report.rebuilt and report.documents == 5 and report.chunks > 50
    index = load_index(settings.index_dir)
    assert len(index.chunks) == report.chunks
    assert set(index.documents) == {p.name for p in settings.seeds_dir.glob("*.txt")}
    # Several dense rows per chunk (its sentence windows), in chunk order.
    rows = len(index.dense_chunk)
    assert rows > report.chunks and index.embeddings.shape == (rows, FakeEmbedder.dim)
    assert index.dense.ntotal == rows == report.encoded
    assert list(index.dense_chunk) == sorted(index.dense_chunk)
    assert set(index.dense_chunk) == set(range(report.chunks))
    firsts = [list(index.dense_chunk).index(i) for i in range(report.chunks)]
    assert list(index.dense_starts) == firsts
    np.testing.assert_allclose(np.linalg.norm(index.embeddings, axis=1), 1.0, atol=1e-5)
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start : c.end] == c.text


def test_manifest_describes_the_build(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    m = read_manifest(settings.index_dir)
    assert m is not None
    assert m.format_version == 2
    assert m.pipeline == pipeline_version()
    assert (m.model.name, m.model.dim) == (FakeEmbedder.name, FakeEmbedder.dim)
    assert m.chunking == {"min_chars": 150, "max_chars": 350, "overlap": 1}
    assert m.dense_window_sentences == 2
    assert m.counts.dense_rows > m.counts.chunks
    assert len(m.seeds) == 5 and all(len(h) == 64 for h in m.seeds.values())
    assert {"chunks.jsonl", "embeddings.npy", "dense.faiss"} <= set(m.artifacts)
    assert m.counts.documents == 5 and m.built_at
    # The file holds the parts in the order a build writes them, and reads back the same.
    raw = json.loads((current_build(settings.index_dir) / "manifest.json").read_text("utf-8"))
    assert list(raw) == [
        "format_version", "pipeline", "model", "chunking", "dense_window_sentences", "seeds",
        "skipped", "counts", "dense", "built_at", "build_seconds", "artifacts",
    ]  # fmt: skip
    assert raw == m.to_dict()


def test_unchanged_seeds_are_not_rebuilt(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    fake_embedder.encoded.clear()
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert not report.rebuilt and fake_embedder.encoded == []


def test_changing_one_seed_re_encodes_only_it(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    fake_embedder.encoded.clear()
    seed = settings.seeds_dir / "001_43e407f21ca0e594.txt"
    seed.write_text(
        seed.read_text(encoding="utf-8") + "\n附记：本文为测试而加的一句话。\n", encoding="utf-8"
    )
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert report.rebuilt and "seeds changed: 001_43e407f21ca0e594.txt" in report.reasons
    index = load_index(settings.index_dir)
    assert 0 < report.encoded < 10 and report.reused == len(index.dense_chunk) - report.encoded
    # Only the changed document's windows, in Simplified script (this seed is Traditional).
    new_text = normalize(index.documents["001_43e407f21ca0e594.txt"].text)
    assert all(t.split("\n", 1)[1] in new_text for t in fake_embedder.encoded)
    assert any("附记" in t for t in fake_embedder.encoded)


def test_passages_and_questions_are_embedded_in_simplified_script(fake_service, fake_embedder):
    index = fake_service.index
    doc = index.documents["001_43e407f21ca0e594.txt"]
    title = normalize(doc.title)
    windows = [t.split("\n", 1)[1] for t in fake_embedder.encoded if t.startswith(title)]
    assert windows and all(w in normalize(doc.text) for w in windows)
    # One seed is Traditional: every text embedded is in Simplified script.
    assert any(t != normalize(t) for t in fake_embedder.encoded) is False
    assert any(d.text != normalize(d.text) for d in index.documents.values())
    asked: list[str] = []
    real = fake_embedder.encode_queries
    fake_embedder.encode_queries = lambda texts: asked.extend(texts) or real(texts)
    fake_service.search("泰興市委書記孫耀燦強調了什麼", mode="semantic")
    assert asked == ["泰兴市委书记孙耀灿强调了什么"]


def test_model_change_makes_the_index_stale(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    other = FakeEmbedder()
    other.name = "test/another-model"
    report = build_index(settings.replace(embed_model=other.name), other, tables=vocabulary_tables)
    assert report.rebuilt and any("model changed" in r for r in report.reasons)
    assert report.reused == 0


def test_corrupt_artifact_is_detected_and_rebuilt(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    emb = current_build(settings.index_dir) / "embeddings.npy"
    data = bytearray(emb.read_bytes())
    data[-10] ^= 0xFF
    emb.write_bytes(bytes(data))
    with pytest.raises(IndexUnavailable, match="corrupt"):
        load_index(settings.index_dir)
    service = QAService(settings, embedder=fake_embedder)
    service.ensure_index()  # rebuilds with a log line instead of failing
    assert service.search("五个阶段").hits


def test_binary_artifacts_are_read_only_once_their_checksums_match(
    settings, fake_embedder, monkeypatch
):
    # The checksums are verified in a background thread while the text artifacts are parsed;
    # FAISS must still never be handed a damaged file (garbage in a binary reader can crash).
    import faiss

    build_index(settings, fake_embedder, tables=vocabulary_tables)
    dense = current_build(settings.index_dir) / "dense.faiss"
    data = bytearray(dense.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dense.write_bytes(bytes(data))
    read = []
    real_read = faiss.read_index
    monkeypatch.setattr(faiss, "read_index", lambda *a: read.append(a) or real_read(*a))
    with pytest.raises(IndexUnavailable, match="checksum"):
        load_index(settings.index_dir)
    assert read == []


def test_metadata_loads_the_same_without_orjson(settings, fake_embedder, monkeypatch):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    fast = load_index(settings.index_dir)
    monkeypatch.setitem(sys.modules, "orjson", None)  # its import fails
    plain = load_index(settings.index_dir)
    assert plain.chunks == fast.chunks and plain.documents == fast.documents


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexUnavailable, match="qa build"):
        load_index(tmp_path / "nothing")


def test_a_build_that_dies_leaves_the_old_index(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    before = current_build(settings.index_dir)

    class Dying(FakeEmbedder):
        def encode_passages(self, texts, batch_size=32, progress=None):
            raise RuntimeError("power cut")

    (settings.seeds_dir / "new.txt").write_text("新的文件。" * 50, encoding="utf-8")
    with pytest.raises(RuntimeError):
        build_index(settings, Dying(), tables=vocabulary_tables)
    assert current_build(settings.index_dir) == before
    assert load_index(settings.index_dir).chunks
    assert not list(settings.index_dir.glob(".tmp-*"))


def test_bad_files_are_skipped_and_named(settings, fake_embedder):
    (settings.seeds_dir / "empty.txt").write_bytes(b"")
    (settings.seeds_dir / "binary.txt").write_bytes(bytes(range(256)) * 8)
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert report.documents == 5
    assert {s.name for s in report.skipped} == {"empty.txt", "binary.txt"}


def test_missing_seeds_folder(settings, fake_embedder, tmp_path):
    with pytest.raises(SeedsError, match="does not exist"):
        build_index(
            settings.replace(seeds_dir=tmp_path / "nope"), fake_embedder, tables=vocabulary_tables
        )


def test_needle(settings, fake_embedder):
    needle = "青蛙合唱团在二〇三一年获得了紫色萝卜勋章。"
    seed = settings.seeds_dir / "003_c0f4a98959c315b4.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n" + needle + "\n", encoding="utf-8")
    service = QAService(settings, embedder=fake_embedder)
    service.ensure_index()
    hit = service.search("青蛙合唱团获得了什么勋章?").hits[0]
    assert needle in hit.chunk.text and hit.chunk.doc_id == seed.name


def test_chunks_jsonl_has_keys(settings, fake_embedder):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    line = (current_build(settings.index_dir) / "chunks.jsonl").read_text().splitlines()[0]
    assert {"chunk_id", "doc_id", "start", "end", "text", "heading", "key"} <= set(json.loads(line))


def test_indexing_code_change_makes_the_index_stale(settings, fake_embedder, monkeypatch):
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    monkeypatch.setattr("qa.store.folder.pipeline_version", lambda: "something-else")
    report = build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert report.rebuilt and "indexing code changed since the build" in report.reasons
    assert report.encoded == 0  # unchanged chunk texts keep their embeddings


def test_a_second_concurrent_build_is_refused(settings, fake_embedder):
    import fcntl

    from qa.errors import QAError

    build_index(settings, fake_embedder, tables=vocabulary_tables)
    before = current_build(settings.index_dir)
    with (settings.index_dir / ".build.lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # as another process's build would
        with pytest.raises(QAError, match="another build"):
            build_index(settings, fake_embedder, force=True, tables=vocabulary_tables)
    assert current_build(settings.index_dir) == before
    # Free again afterwards.
    assert build_index(settings, fake_embedder, force=True, tables=vocabulary_tables).rebuilt


def test_remembered_seed_hashes_follow_every_change(tmp_path, monkeypatch):
    import os
    import time

    import qa.store.folder as ix

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    a, b = seeds / "a.txt", seeds / "b.txt"
    a.write_text("诸城作风建设年", encoding="utf-8")
    b.write_text("泰兴大讨论", encoding="utf-8")
    reads: list[str] = []
    real = ix.sha256_file
    monkeypatch.setattr(ix, "sha256_file", lambda p: reads.append(p.name) or real(p))
    monkeypatch.setattr(ix, "_RACY_SECONDS", -1.0)  # files written just now count as settled
    fresh = ix.seed_hashes(seeds)
    assert ix.seed_hashes(seeds, remember=True) == fresh
    reads.clear()
    assert ix.seed_hashes(seeds, remember=True) == fresh and reads == []  # nothing re-read
    a.write_text("诸城作风建设月", encoding="utf-8")  # same length, new content
    again = ix.seed_hashes(seeds, remember=True)
    assert reads == ["a.txt"] and again["a.txt"] != fresh["a.txt"]
    assert again == ix.seed_hashes(seeds)
    (seeds / "c.txt").write_text("新文件", encoding="utf-8")
    b.unlink()
    assert set(ix.seed_hashes(seeds, remember=True)) == {"a.txt", "c.txt"}
    # A file changed within the last moments is hashed every time: its times could stay
    # the same through a second change in the same clock tick.
    monkeypatch.setattr(ix, "_RACY_SECONDS", 2.0)
    d = seeds / "d.txt"
    d.write_text("刚写的", encoding="utf-8")
    os.utime(d, (time.time(), time.time()))
    ix.seed_hashes(seeds, remember=True)
    reads.clear()
    ix.seed_hashes(seeds, remember=True)
    assert reads == ["d.txt"]


def test_status_reports_a_changed_seed_as_stale(settings, fake_embedder):
    svc = QAService(settings, embedder=fake_embedder)
    svc.ensure_index()
    assert not svc.status().stale and not svc.status().stale
    seed = sorted(settings.seeds_dir.glob("*.txt"))[0]
    seed.write_text(seed.read_text(encoding="utf-8") + "\n新增一句。", encoding="utf-8")
    assert svc.status().stale


def test_seed_hashes_of_the_current_folder_keep_whole_names(tmp_path, monkeypatch):
    import qa.store.folder as ix

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("诸城", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("泰兴", encoding="utf-8")
    expected = ix.seed_hashes(tmp_path)
    assert set(expected) == {"a.txt", "sub/b.txt"}
    monkeypatch.chdir(tmp_path)
    assert ix.seed_hashes(Path(".")) == expected
    assert ix.seed_hashes(Path("."), remember=True) == expected


def test_the_character_index_is_saved_with_the_build(settings, fake_embedder):
    # Made at build time, not at the first question (3.2 s of a cold start at 10k chunks).
    from qa.query.prepare import prepare_query
    from qa.search.lexical import char_scores

    build_index(settings, fake_embedder, tables=vocabulary_tables)
    build = current_build(settings.index_dir)
    assert any(name.startswith("chars/") for name in read_manifest(settings.index_dir).artifacts)
    index = load_index(settings.index_dir)
    assert index.chars is not None
    scores = char_scores(index, prepare_query("东融先行示范区", index))
    assert scores is not None and scores.shape == (len(index.chunks),)
    best = index.chunks[int(scores.argmax())]
    assert "东融" in normalize(best.text)
    # Its files are checked like the rest.
    victim = next(p for p in (build / "chars").iterdir() if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(IndexUnavailable, match="corrupt"):
        load_index(settings.index_dir)


def test_a_large_corpus_gets_no_character_index(settings, fake_embedder, monkeypatch):
    import qa.store.chars

    monkeypatch.setattr(qa.store.chars, "CHAR_INDEX_MAX_CHUNKS", 10)
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    assert not (current_build(settings.index_dir) / "chars").exists()
    index = load_index(settings.index_dir)
    assert index.chars is None
    from qa.query.prepare import prepare_query
    from qa.search.lexical import char_scores

    assert char_scores(index, prepare_query("东融先行示范区", index)) is None
