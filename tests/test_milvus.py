"""The Milvus store (qa/store/milvus.py) against Milvus Lite in tmp_path: build, search,
incremental update, the alias switch, a failed build, and each fault as one bilingual line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "pymilvus", reason="pymilvus is not installed: pip install -e '.[milvus]' (make test does)"
)

import qa.store.build  # noqa: E402
import qa.store.milvus as milvus  # noqa: E402
from qa.app.cli import main  # noqa: E402
from qa.app.service import QAService  # noqa: E402
from qa.errors import QAError, StoreError  # noqa: E402
from qa.settings import Settings, load_settings  # noqa: E402
from qa.store.folder import read_manifest  # noqa: E402

from .conftest import FIVE_PHASES, ROOT, SEEDS, FakeEmbedder  # noqa: E402

QUESTIONS = [FIVE_PHASES, "诸城强调的六种意识是哪六种", "What is the campaign about?", "党建"]


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Each test opens its own Milvus Lite file; the clients are closed after it."""
    yield
    milvus.forget_clients()


@pytest.fixture(autouse=True)
def _fake_model(monkeypatch) -> None:
    """The command line run in this process loads the fake model by its name."""
    import qa.app.service

    monkeypatch.setattr(qa.app.service, "load_embedder", lambda name: FakeEmbedder())


@pytest.fixture
def msettings(settings: Settings, tmp_path: Path) -> Settings:
    """The unit-test settings (real seeds, fake model) with the vectors in Milvus Lite."""
    return settings.replace(store="milvus", milvus_uri=str(tmp_path / "milvus" / "qa.db"))


def _client(settings: Settings):
    return milvus.client(settings)


def _collections(settings: Settings) -> list[str]:
    return sorted(_client(settings).list_collections())


def _hits(service: QAService, question: str, mode: str = "hybrid") -> list[tuple[str, int]]:
    return [(h.chunk.doc_id, h.chunk.start) for h in service.search(question, mode=mode).hits]


def test_build_search_and_info_match_the_local_store(settings, msettings, capsys) -> None:
    local = QAService(settings, embedder=FakeEmbedder())
    local.ensure_index()
    store = QAService(msettings, embedder=FakeEmbedder())
    report = store.ensure_index()
    assert report.rebuilt and report.encoded == read_manifest(msettings.index_dir).counts.dense_rows
    # No vectors in the index folder: they are in Milvus.
    assert not (report.path / "embeddings.npy").exists()
    assert not (report.path / "dense.faiss").exists()
    assert store.index.vectors.kind == "milvus" and local.index.vectors.kind == "local"
    for q in QUESTIONS:
        for mode in ("hybrid", "semantic"):
            assert _hits(store, q, mode) == _hits(local, q, mode), (q, mode)
        a = local.search(q, mode="semantic")
        b = store.search(q, mode="semantic")
        np.testing.assert_allclose(
            [h.dense_score for h in a.hits], [h.dense_score for h in b.hits], atol=1e-5
        )
    assert store.ask(FIVE_PHASES).found

    info = store.store_info()
    manifest = read_manifest(msettings.index_dir)
    assert info.rows == manifest.counts.dense_rows
    assert info.collection == manifest.dense["collection"] and info.alias == "qa_passages"
    # What Milvus holds of a passage: text, ids, title, date, source, position, vector.
    row = _client(msettings).query(
        "qa_passages", filter="", limit=1, output_fields=["*"]
    )[0]
    assert {"text", "doc_id", "title", "date", "source", "start", "end", "vector"} <= set(row)
    # BM25 in Milvus, from the text by jieba.
    found = _client(msettings).search(
        "qa_passages", data=["作风建设"], anns_field="sparse", limit=3, output_fields=["doc_id"]
    )[0]
    assert found and found[0]["entity"]["doc_id"] == "002_74fc92c28c1dd03c.txt"

    code, out, _ = _cli(["info"], _env(msettings), capsys)
    assert code == 0
    assert "store:      milvus" in out and f"rows:       {info.rows}" in out
    assert "collection: qa_passages -> qa_passages__" in out


def _env(settings: Settings) -> dict[str, str]:
    return {
        "QA_STORE": settings.store,
        "QA_MILVUS_URI": settings.milvus_uri,
        "QA_MILVUS_TOKEN": settings.milvus_token,
        "QA_MILVUS_TIMEOUT": str(settings.milvus_timeout),
        "QA_SEEDS_DIR": str(settings.seeds_dir),
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_EMBED_MODEL": settings.embed_model,
    }


def _cli(argv: list[str], env: dict[str, str], capsys) -> tuple[int, str, str]:
    """Run the command line in this process with these QA_* variables; (code, out, err)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code = main(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_incremental_build_upserts_and_deletes_by_document_hash(msettings) -> None:
    embedder = FakeEmbedder()
    service = QAService(msettings, embedder=embedder)
    service.ensure_index()
    first = read_manifest(msettings.index_dir).dense["collection"]
    gone = msettings.seeds_dir / "000_50ee5dc811a7ea60.txt"
    gone_key = milvus.doc_key(service.index.documents[gone.name])
    gone.unlink()
    added = msettings.seeds_dir / "100_new.txt"
    text = "猫头鹰博物馆\n\n猫头鹰博物馆今天开门。馆里有三百只猫头鹰标本。\n"
    added.write_text(text, encoding="utf-8")
    embedder.encoded.clear()
    report = service.rebuild()
    manifest = read_manifest(msettings.index_dir)
    # The same collection, updated in place: only the new document was encoded.
    assert manifest.dense["collection"] == first == milvus.alias_target(msettings)
    assert report.encoded == len(embedder.encoded) and 0 < report.encoded < 10
    assert report.reused == manifest.counts.dense_rows - report.encoded
    assert milvus.row_count(msettings) == manifest.counts.dense_rows
    c = _client(msettings)
    assert not c.query("qa_passages", filter=f'doc_key == "{gone_key}"', output_fields=["pk"])
    assert service.search("猫头鹰博物馆").hits[0].chunk.doc_id == "100_new.txt"
    # The same hits as a store built from scratch on these seeds.
    fresh = QAService(msettings.replace(store="local"), embedder=FakeEmbedder())
    fresh.rebuild(force=True)
    assert _hits(fresh, FIVE_PHASES) == _hits(service, FIVE_PHASES)


def test_a_full_build_switches_the_alias_and_drops_the_old_collection(msettings) -> None:
    service = QAService(msettings, embedder=FakeEmbedder())
    service.ensure_index()
    first = milvus.alias_target(msettings)
    # A collection a build that died left behind is dropped by the next build.
    _client(msettings).create_collection("qa_passages__dead", dimension=4)
    other = "someone_else"
    _client(msettings).create_collection(other, dimension=4)
    rows = read_manifest(msettings.index_dir).counts.dense_rows
    # As in a fresh `qa build` process, which has not loaded the collection it copies from.
    _client(msettings).release_collection(first)
    report = service.rebuild(force=True)
    # The same model: every vector is copied from the old collection, none encoded.
    assert report.encoded == 0 and report.reused == rows == milvus.row_count(msettings)
    second = milvus.alias_target(msettings)
    assert second != first and second.startswith("qa_passages__")
    assert _collections(msettings) == sorted([second, other])
    assert _hits(service, FIVE_PHASES)


def test_an_incremental_build_that_changes_the_index_type_builds_a_new_collection(
    msettings, monkeypatch
) -> None:
    service = QAService(msettings, embedder=FakeEmbedder())
    service.ensure_index()
    first = milvus.alias_target(msettings)
    assert read_manifest(msettings.index_dir).dense["index"] == "FLAT"
    monkeypatch.setattr(milvus, "HNSW_MIN_CHUNKS", 10)
    (msettings.seeds_dir / "000_50ee5dc811a7ea60.txt").unlink()
    report = service.rebuild()
    manifest = read_manifest(msettings.index_dir)
    assert manifest.dense["index"] == "HNSW" and manifest.dense["collection"] != first
    assert _collections(msettings) == [manifest.dense["collection"]]
    assert report.encoded == 0 and milvus.row_count(msettings) == manifest.counts.dense_rows
    assert _hits(service, FIVE_PHASES)


def test_a_failed_build_leaves_the_alias_where_it_was(msettings, monkeypatch) -> None:
    service = QAService(msettings, embedder=FakeEmbedder())
    service.ensure_index()
    before = milvus.alias_target(msettings)
    rows = milvus.row_count(msettings)
    hits = _hits(service, FIVE_PHASES)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # Fails after the new collection is written, before the index folder is switched in.
    monkeypatch.setattr(qa.store.build, "_activate", broken)
    with pytest.raises(OSError):
        service.rebuild(force=True)
    assert milvus.alias_target(msettings) == before and _collections(msettings) == [before]
    assert milvus.row_count(msettings) == rows
    # An incremental build that fails takes its rows out again.
    (msettings.seeds_dir / "100_new.txt").write_text("新文件\n\n新的内容。\n", encoding="utf-8")
    with pytest.raises(OSError):
        service.rebuild()
    assert milvus.alias_target(msettings) == before and milvus.row_count(msettings) == rows
    monkeypatch.undo()
    assert _hits(service, FIVE_PHASES) == hits
    # A build that fails in Milvus itself, mid-way through the rows.
    real = milvus.MilvusBuild.switch

    def fail_switch(self):
        raise StoreError("Milvus 出错 / switch failed")

    monkeypatch.setattr(milvus.MilvusBuild, "switch", fail_switch)
    with pytest.raises(StoreError):
        service.rebuild(force=True)
    assert milvus.alias_target(msettings) == before and _collections(msettings) == [before]
    monkeypatch.setattr(milvus.MilvusBuild, "switch", real)
    service.rebuild()
    assert milvus.row_count(msettings) == read_manifest(msettings.index_dir).counts.dense_rows


def _one_bilingual_line(message: str) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert any("a" <= ch <= "z" for ch in message), message


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_is_one_line(msettings, capsys) -> None:
    bad = msettings.replace(milvus_uri=f"http://127.0.0.1:{_closed_port()}", milvus_timeout=3.0)
    with pytest.raises(StoreError) as err:
        QAService(bad, embedder=FakeEmbedder()).ensure_index()
    assert "cannot reach Milvus" in str(err.value) and "无法连接" in str(err.value)
    for argv in (["info"], ["build"], ["search", FIVE_PHASES]):
        code, _, stderr = _cli(argv, _env(bad), capsys)
        assert code == 2 and stderr.startswith("error: 无法连接 Milvus"), (argv, stderr)
        _one_bilingual_line(stderr)


def test_a_server_that_does_not_answer_is_a_time_out(msettings, capsys) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        bad = msettings.replace(milvus_uri=uri, milvus_timeout=1.0)
        code, _, stderr = _cli(["info"], _env(bad), capsys)
    assert code == 2 and "did not answer within 1 s" in stderr and "秒内没有应答" in stderr
    _one_bilingual_line(stderr)
    # A request that runs out of time (grpc's DEADLINE_EXCEEDED) says the same.
    err = milvus.store_error(Exception("<_InactiveRpcError: StatusCode.DEADLINE_EXCEEDED>"), bad)
    assert "did not answer within 1 s" in str(err)


def test_a_wrong_token_is_one_line_without_the_token(msettings, monkeypatch, capsys) -> None:
    from pymilvus import MilvusClient, MilvusException

    def refuse(self, *args, **kwargs):
        # What a server with authentication answers a wrong token (Milvus Lite has none).
        raise MilvusException(code=1800, message="auth check failure, token s3cr3t:pw is wrong")

    monkeypatch.setattr(MilvusClient, "__init__", refuse)
    bad = msettings.replace(milvus_uri="http://user:pw@127.0.0.1:19530", milvus_token="s3cr3t:pw")
    code, _, stderr = _cli(["info"], _env(bad), capsys)
    assert code == 2 and "refused the credentials" in stderr and "拒绝了凭据" in stderr
    assert "s3cr3t" not in stderr and "pw@" not in stderr and "127.0.0.1:19530" in stderr
    _one_bilingual_line(stderr)
    assert "s3cr3t" not in repr(bad)


def test_a_missing_collection_is_one_line_on_the_page_and_the_command_line(
    msettings, capsys
) -> None:
    from qa.app.ui.callbacks import Page

    QAService(msettings, embedder=FakeEmbedder()).ensure_index()
    c = _client(msettings)
    target = milvus.alias_target(msettings)
    c.drop_alias("qa_passages")
    c.drop_collection(target)
    service = QAService(msettings, embedder=FakeEmbedder())
    with pytest.raises(StoreError) as err:
        service.search(FIVE_PHASES)
    assert "no collection 'qa_passages'" in str(err.value) and "没有集合" in str(err.value)
    _one_bilingual_line(str(err.value))
    chat, *_ = Page(service).respond(FIVE_PHASES, [], [], 3, "hybrid")
    assert "qa-error" in chat[-1]["content"] and "没有集合" in chat[-1]["content"]
    code, _, stderr = _cli(["search", FIVE_PHASES], _env(msettings), capsys)
    assert code == 2 and "no collection" in stderr
    _one_bilingual_line(stderr)
    # `qa info` says so too, after what it knows without Milvus.
    code, out, _ = _cli(["info"], _env(msettings), capsys)
    assert code == 0 and "(none: run qa build)" in out
    # Building again brings it back.
    service.rebuild(force=True)
    assert service.search(FIVE_PHASES).hits


def test_a_milvus_lite_file_held_by_another_process_is_one_line(msettings) -> None:
    QAService(msettings, embedder=FakeEmbedder()).ensure_index()  # this process holds it
    env = dict(os.environ, PYTHONPATH=str(ROOT), **_env(msettings))
    out = subprocess.run(
        [sys.executable, "-m", "qa", "info"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert out.returncode == 2 and "store:      milvus" in out.stdout
    assert "is in use by another process" in out.stderr and "另一个进程" in out.stderr
    _one_bilingual_line(out.stderr)


def test_uri_credentials_are_never_shown() -> None:
    assert milvus.safe_uri("http://root:Milvus@host:19530/db?token=x") == "http://host:19530/db"
    assert milvus.safe_uri("/tmp/qa.db") == "/tmp/qa.db"
    settings = load_settings(env={"QA_STORE": "milvus", "QA_MILVUS_TOKEN": "root:Milvus"})
    assert "Milvus'" not in repr(settings) and "root:" not in repr(settings)
    with pytest.raises(ValueError):
        load_settings(env={"QA_STORE": "elastic"})


def test_switching_stores_makes_the_index_stale(settings, msettings) -> None:
    QAService(settings, embedder=FakeEmbedder()).ensure_index()
    status = QAService(msettings, embedder=FakeEmbedder()).status()
    assert status.stale and "store changed: local -> milvus" in status.reasons
    QAService(msettings, embedder=FakeEmbedder()).ensure_index()
    status = QAService(msettings.replace(milvus_collection="other"), embedder=FakeEmbedder())
    assert "Milvus collection changed: qa_passages -> other" in status.status().reasons


def test_the_local_store_never_imports_pymilvus(settings, tmp_path) -> None:
    """With QA_STORE unset, a build, a search and `qa info` leave pymilvus unimported."""
    script = f"""
import sys
from qa.app.service import QAService
from qa.app.cli import main
from qa.settings import load_settings
from tests.conftest import FakeEmbedder
s = load_settings(env={{}}, seeds_dir={str(settings.seeds_dir)!r},
                  index_dir={str(tmp_path / "solo")!r}, embed_model=FakeEmbedder.name)
svc = QAService(s, embedder=FakeEmbedder())
svc.ensure_index()
assert svc.search("诸城").hits
print(svc.store_info())
print("pymilvus" in sys.modules, "milvus_lite" in sys.modules)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_STORE")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False False"


@pytest.mark.slow
def test_the_real_model_on_the_real_seeds_answers_as_the_local_store(
    real_service, tmp_path
) -> None:
    """The packaged model, the real seeds: the Milvus store finds what the local store finds,
    for the first questions of the tuning set."""
    settings = real_service.settings.replace(
        store="milvus",
        index_dir=tmp_path / "index",
        milvus_uri=str(tmp_path / "qa.db"),
    )
    service = QAService(settings, embedder=real_service.embedder)
    report = service.ensure_index()
    assert report.rebuilt and report.chunks == len(real_service.index.chunks)
    rows = [json.loads(line) for line in (ROOT / "tests/eval/questions.jsonl").open()][:15]
    for row in rows:
        assert _hits(service, row["question"]) == _hits(real_service, row["question"]), row["id"]
    answer = service.ask(FIVE_PHASES)
    assert answer.found and answer.items
    assert [p.chunk.start for p in answer.passages] == [
        p.chunk.start for p in real_service.ask(FIVE_PHASES).passages
    ]
    # The page answers from it.
    from qa.app.ui.callbacks import Page

    chat, _, cards, *_ = Page(service).respond(FIVE_PHASES, [], [], 5, "hybrid")
    assert "qa-error" not in chat[-1]["content"] and cards["found"] and cards["cards"]
    assert SEEDS.is_dir()


def test_qa_error_is_the_base_of_store_error() -> None:
    assert issubclass(StoreError, QAError)
