"""Faults and hostile input: killed builds, corrupt index files, bad seeds, hostile questions.

The fake embedder stands in for the model (the point here is the index and the service, not
the vectors). Building the English lexicon reads all of CC-CEDICT (seconds per build), so it is
memoised per vocabulary for this module: the index files are still all written and checked.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.app import cli
from qa.app.service import QAService
from qa.errors import IndexUnavailable, QAError, QuestionError, SeedsError
from qa.query.translate import vocabulary_tables
from qa.settings import SEARCH_MODES, Settings, load_settings
from qa.store.build import build_index
from qa.store.folder import current_build, read_manifest
from qa.store.index import load_index

from .conftest import FIVE_PHASES, ROOT, SEEDS, FakeEmbedder


@pytest.fixture(scope="module", autouse=True)
def _memoised_lexicon():
    import qa.query.translate.build as tables

    original = tables.build_lexicon
    cache: dict[frozenset, object] = {}

    def build(vocab, cedict_path=None, **kwargs):
        key = frozenset(vocab.items())
        if key not in cache:
            cache[key] = original(vocab, cedict_path, **kwargs)
        return cache[key]

    mp = pytest.MonkeyPatch()
    mp.setattr(tables, "build_lexicon", build)
    yield
    mp.undo()


def _settings(root: Path) -> Settings:
    return load_settings(
        env={}, seeds_dir=root / "seeds", index_dir=root / "index", embed_model=FakeEmbedder.name
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds and a built index, to copy for each test that damages them."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(SEEDS, root / "seeds")
    build_index(_settings(root), FakeEmbedder(), tables=vocabulary_tables)
    return root


@pytest.fixture
def copy(pristine: Path, tmp_path: Path) -> Settings:
    """A private copy of the pristine seeds and index."""
    shutil.copytree(pristine / "seeds", tmp_path / "seeds")
    shutil.copytree(pristine / "index", tmp_path / "index")
    return _settings(tmp_path)


@pytest.fixture(scope="module")
def service(pristine: Path) -> QAService:
    """A read-only service over the pristine index (tests must not change it)."""
    svc = QAService(_settings(pristine), embedder=FakeEmbedder())
    svc.ensure_index()
    return svc


def _answers(settings: Settings) -> None:
    answer = QAService(settings, embedder=FakeEmbedder()).ask(FIVE_PHASES)
    assert answer.found and answer.passages


# --------------------------------------------------------------------------- killed builds

_KILLED_BUILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import faiss
    from bench.synth import HashEmbedder
    from qa.app import cli
    from qa.app.service import QAService
    from qa.query.translate import Lexicon

    stage, marker, old_lexicon = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    # Same seeds, same lexicon: reading CC-CEDICT again would only make the test slower.
    saved = json.loads(old_lexicon.read_text(encoding="utf-8"))
    import qa.query.translate.build as tables
    tables.build_lexicon = lambda vocab, cedict_path=None, **kw: Lexicon.from_dict(saved)

    class Stuck(HashEmbedder):
        def encode_passages(self, texts, batch_size=32, progress=None):
            if stage == "embed":
                marker.write_text("encoding")
                time.sleep(120)
            return super().encode_passages(texts, batch_size, progress)

    if stage == "write":
        real_write = faiss.write_index
        def stuck_write(*args):
            real_write(*args)
            marker.write_text("writing")
            time.sleep(120)
        faiss.write_index = stuck_write

    # Another dimension than the old index: nothing is reused, everything is encoded.
    cli._service = lambda settings: QAService(settings, embedder=Stuck("fake:bigram-hash", 48))
    sys.exit(cli.main(["build", "--force"]))
    """
)


@pytest.mark.parametrize("stage", ["embed", "write"])
def test_kill_9_during_build_keeps_the_old_index(copy: Settings, tmp_path: Path, stage: str):
    old = current_build(copy.index_dir)
    marker = tmp_path / "marker"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QA_SEEDS_DIR": str(copy.seeds_dir),
        "QA_INDEX_DIR": str(copy.index_dir),
        "QA_EMBED_MODEL": FakeEmbedder.name,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, stage, str(marker), str(old / "lexicon.json")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the build never reached the stage"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    leftovers = list(copy.index_dir.glob(".tmp-*"))
    assert bool(leftovers) == (stage == "write")  # the tmp folder exists from the write stage
    # The old index is still the active one, loads with its checksums, and answers.
    assert current_build(copy.index_dir) == old
    load_index(copy.index_dir)
    if stage == "embed":
        return
    _answers(copy)
    assert not QAService(copy, embedder=FakeEmbedder()).status().stale
    # The next build cleans the leftovers.
    report = build_index(copy, FakeEmbedder(), force=True, tables=vocabulary_tables)
    assert report.rebuilt and not list(copy.index_dir.glob(".tmp-*"))
    assert [p.name for p in copy.index_dir.glob("build-*")] == [report.path.name]


# --------------------------------------------------------------------------- corrupt files


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 16] = bytes((b ^ 0xFF) for b in data[mid : mid + 16])
    path.write_bytes(bytes(data))


def _binary(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00\x9c" * 8)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


def _outside(path: Path) -> None:
    path.write_text("../../../../etc\n", encoding="utf-8")


DAMAGE = [
    ("chunks.jsonl", _truncate),
    ("documents.jsonl", _garble),
    ("embeddings.npy", _truncate),
    ("dense.faiss", _garble),
    ("bm25/*", _truncate),
    ("bm25/*", _delete),
    ("chars/*", _truncate),
    ("lexicon.json", _delete),
    ("userdict.txt", _garble),
    ("manifest.json", _truncate),
    ("manifest.json", _binary),
    ("CURRENT", _binary),
    ("CURRENT", _empty),
    ("CURRENT", _outside),
]


def _damage(settings: Settings, name: str, how) -> list[Path]:
    build = current_build(settings.index_dir)
    assert build is not None
    if name == "CURRENT":
        targets = [settings.index_dir / "CURRENT"]
    elif name.endswith("*"):
        targets = sorted(p for p in build.glob(name) if p.is_file())
    else:
        targets = [build / name]
    for t in targets:
        how(t)
    return targets


_IDS = [f"{n}-{h.__name__[1:]}" for n, h in DAMAGE]


@pytest.mark.parametrize(("name", "how"), DAMAGE, ids=_IDS)
def test_damaged_index_is_detected_with_the_fix_named(copy: Settings, name, how):
    _damage(copy, name, how)
    with pytest.raises(IndexUnavailable, match=r"qa build") as err:
        load_index(copy.index_dir)
    assert "\n" not in str(err.value)
    if name not in ("CURRENT", "manifest.json"):
        assert "checksum" in str(err.value) or "missing" in str(err.value)
    # Nothing outside the index folder is taken for the index.
    assert current_build(copy.index_dir) in (None, *copy.index_dir.glob("build-*"))


_REBUILT = [0, 5, 8, 10]  # a data file, the BM25 files, the manifest, the pointer


@pytest.mark.parametrize(
    ("name", "how"), [DAMAGE[i] for i in _REBUILT], ids=[_IDS[i] for i in _REBUILT]
)
def test_damaged_index_is_rebuilt_by_the_service(copy: Settings, name, how):
    _damage(copy, name, how)
    service = QAService(copy, embedder=FakeEmbedder())
    report = service.ensure_index()
    assert report.rebuilt
    assert service.ask(FIVE_PHASES).found
    load_index(copy.index_dir)  # what was rebuilt is whole
    assert not service.status().stale


@pytest.mark.parametrize(
    ("name", "how"),
    [DAMAGE[2], DAMAGE[10]],
    ids=[_IDS[2], _IDS[10]],
)
def test_damaged_index_never_gives_the_cli_a_traceback(copy, monkeypatch, capsys, name, how):
    _damage(copy, name, how)
    monkeypatch.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
    flags = ["--seeds", str(copy.seeds_dir), "--index", str(copy.index_dir)]
    monkeypatch.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    assert cli.main([*flags, "info"]) == 0
    out = capsys.readouterr().out
    assert "stale:" in out
    # `ask` rebuilds (the service's policy) and answers; nothing escapes as a traceback.
    assert cli.main([*flags, "ask", FIVE_PHASES]) == 0
    assert "[1]" in capsys.readouterr().out


def test_load_index_names_the_fix_for_a_damaged_index(copy):
    _damage(copy, "embeddings.npy", _truncate)
    with pytest.raises(IndexUnavailable) as err:
        load_index(copy.index_dir)
    assert "embeddings.npy" in str(err.value) and "qa build --force" in str(err.value)
    assert "\n" not in str(err.value)


def test_load_index_without_checksums_still_fails_cleanly(copy):
    _damage(copy, "dense.faiss", _truncate)
    with pytest.raises(IndexUnavailable, match=r"cannot be read .*qa build --force"):
        load_index(copy.index_dir, check=False)


# --------------------------------------------------------------------------- seeds folder


@pytest.mark.parametrize("kind", ["missing", "empty", "a file", "no txt"])
def test_bad_seeds_folder_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, kind):
    seeds = tmp_path / "seeds"
    if kind == "empty":
        seeds.mkdir()
    elif kind == "a file":
        seeds.write_text("not a folder")
    elif kind == "no txt":
        seeds.mkdir()
        (seeds / "a.rtf").write_bytes(b"{\\rtf1 not a format the readers know}")
    loaded = []
    monkeypatch.setattr(
        "qa.app.service.load_embedder", lambda name: loaded.append(name) or FakeEmbedder()
    )
    code = cli.main(["--seeds", str(seeds), "--index", str(tmp_path / "ix"), "build"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: seeds folder")
    assert str(seeds) in err and "Traceback" not in err
    assert not loaded  # the model is not loaded for nothing


def test_missing_seeds_in_a_subprocess_is_one_line(tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "qa",
            "--seeds",
            str(tmp_path / "nope"),
            "--index",
            str(tmp_path / "ix"),
            "ask",
            "问题",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
    )
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert res.stderr.startswith("error: seeds folder") and "Traceback" not in res.stderr


def test_seeds_changed_while_running_show_stale_and_rebuild_picks_them_up(copy):
    service = QAService(copy, embedder=FakeEmbedder())
    service.ensure_index()
    assert not service.status().stale
    needle = "青蛙博物馆的馆长名叫欧阳澜，她每年夏天组织萤火虫夜游。"
    target = sorted(copy.seeds_dir.glob("*.txt"))[1]
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + needle + "\n", "utf-8")
    (copy.seeds_dir / "new_doc.txt").write_text(
        "新文件标题\n\n这是一份在服务运行时加入的新文件，讲的是湿地保护和候鸟迁徙的观察记录。\n",
        encoding="utf-8",
    )
    status = service.status()
    assert status.stale
    assert any("changed" in r for r in status.reasons) and any("added" in r for r in status.reasons)
    # Still answering from the old index meanwhile.
    assert service.ask(FIVE_PHASES).found
    report = service.rebuild()
    assert report.rebuilt and report.documents == 6
    assert not service.status().stale
    hits = service.search("欧阳澜 萤火虫", mode="keyword").hits
    assert needle in hits[0].chunk.text
    assert "new_doc.txt" in service.index.documents


def test_huge_and_non_text_seeds_are_skipped_and_named(copy, monkeypatch, capsys):
    huge = copy.seeds_dir / "huge.txt"
    with huge.open("wb") as fh:  # sparse: refused by its size, so its bytes do not matter here
        fh.write("很大的文件".encode())
        fh.truncate(50 * 2**20)
    (copy.seeds_dir / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    (copy.seeds_dir / "utf16.txt").write_bytes("诸城市".encode("utf-16"))
    (copy.seeds_dir / "empty.txt").write_bytes(b"")
    monkeypatch.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
    flags = ["--seeds", str(copy.seeds_dir), "--index", str(copy.index_dir)]
    monkeypatch.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    assert cli.main([*flags, "build"]) == 0
    out = capsys.readouterr().out
    for name in ("huge.txt", "image.txt", "utf16.txt", "empty.txt"):
        assert f"skipped {name}:" in out
    assert "too large" in out
    manifest = read_manifest(copy.index_dir)
    assert {s["name"] for s in manifest.skipped} == {
        "huge.txt",
        "image.txt",
        "utf16.txt",
        "empty.txt",
    }
    assert manifest.counts.documents == 5


_PEAK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bench.synth import HashEmbedder
    from bench.worker import peak_rss_mb  # VmHWM: ru_maxrss would include pytest's own peak
    from qa.store.build import build_index
    from qa.settings import load_settings
    from qa.query.translate import Lexicon

    built = {}
    import qa.query.translate.build as tables
    plain = tables.build_lexicon
    def memo(vocab, cedict_path=None, **kw):  # both builds index the same seeds
        key = frozenset(vocab.items())
        if key not in built:
            built[key] = plain(vocab, **kw)
        return built[key]
    tables.build_lexicon = memo
    root = Path(sys.argv[1])
    def build(seeds):
        s = load_settings(env={}, seeds_dir=seeds, index_dir=root / (seeds.name + "-ix"),
                          embed_model="fake:bench-hash")
        build_index(s, HashEmbedder("fake:bench-hash", 32), force=True,
                    tables=tables.vocabulary_tables)
        return peak_rss_mb()
    print(build(root / "small"), build(root / "big"))
    """
)


def test_build_with_a_50_mb_seed_stays_in_bounded_memory(tmp_path):
    """Peak RSS of a build grows by far less than the 50 MB file (it is never read whole)."""
    shutil.copytree(SEEDS, tmp_path / "small")
    shutil.copytree(SEEDS, tmp_path / "big")
    chunk = ("大文件内容，" * 1000 + "\n").encode("utf-8")
    with (tmp_path / "big" / "huge.txt").open("wb") as fh:
        for _ in range(50 * 2**20 // len(chunk) + 1):
            fh.write(chunk)
    res = subprocess.run(
        [sys.executable, "-c", _PEAK, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    small, big = map(float, res.stdout.split())
    assert big - small < 25, (small, big)


# --------------------------------------------------------------------------- hostile questions


@pytest.mark.parametrize("question", ["", "   ", "\n\t  \u3000", "？？？", "的了是", "<>"])
def test_empty_or_unsearchable_questions_raise_question_error(service, question):
    with pytest.raises(QuestionError):
        service.ask(question)
    with pytest.raises(QuestionError):
        service.search(question)


def test_a_100k_character_question_is_cut_with_a_notice(service):
    question = FIVE_PHASES + "作风建设" * 25_000
    assert len(question) > 100_000
    t = time.perf_counter()
    answer = service.ask(question)
    assert time.perf_counter() - t < 30
    assert answer.notice and "cut" in answer.notice
    assert len(service.search(question).question) <= service.settings.max_question_chars


@pytest.mark.parametrize(
    "question",
    [
        "诸城\x00作风\x07建设\x1b[31m年",
        "诸城作风建设年😀🔥👍🏽‍",
        "Zhucheng 诸城 zuòfēng 作風建設 五个阶段 ПРИВЕТ مرحبا",
        "<script>alert('诸城')</script><img src=x onerror=alert(1)>作风建设",
        "<b>诸城</b>&lt;作风&gt;&#x5EFA;",
        "\u202e诸城\u200b作风\u200d建设\ufeff",
        "𠀀𠀁𪚥 诸城",
        "诸城\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ],
)
def test_hostile_questions_answer_or_raise_question_error(service, question):
    answer = service.ask(question)
    assert answer.passages
    for hit in answer.passages:
        assert hit.chunk.doc_id in service.index.documents


_HOSTILE_PIECES = st.sampled_from(
    [
        "诸城",
        "作风建设",
        "五个阶段",
        "泰興",
        "<script>",
        "</b>",
        "&amp;",
        "\x00",
        "\u200b",
        "😀",
        "Zhucheng",
        "zuòfēng",
        "'",
        '"',
        "\\",
        "%s",
        "{0}",
        "\n",
        " ",
        "?",
        "？",
        "*",
        "(",
        "[",
        "AND",
        "OR",
        "的",
        "了",
        "..",
        "/etc/passwd",
        "\ufeff",
        "ｚｈｕ",
        "１２３",
    ]
)
_QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(_HOSTILE_PIECES, max_size=30).map("".join),
    st.lists(st.one_of(_HOSTILE_PIECES, st.text(max_size=5)), max_size=20).map("".join),
)


@hsettings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    question=_QUESTIONS,
    k=st.integers(min_value=-3, max_value=500),
    mode=st.sampled_from([*SEARCH_MODES, None]),
)
def test_query_pipeline_never_fails_but_with_question_error(service, question, k, mode):
    for call in (service.search, service.ask):
        try:
            result = call(question, k=k, mode=mode)
        except QuestionError:
            continue
        hits = result.hits if hasattr(result, "hits") else result.passages
        assert len(hits) <= max(1, k, service.settings.top_k)
        assert all(h.chunk.doc_id in service.index.documents for h in hits)


# --------------------------------------------------------------------------- open in document


@pytest.mark.parametrize(
    "doc_id",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "",
        ".",
        "..",
        "seeds/000_50ee5dc811a7ea60.txt",
        "./000_50ee5dc811a7ea60.txt",
        "000_50ee5dc811a7ea60.txt/../../../etc/passwd",
        "000_50ee5dc811a7ea60.txt\x00",
        "%2e%2e%2fetc%2fpasswd",
        str(SEEDS / "000_50ee5dc811a7ea60.txt"),
        "file:///etc/passwd",
    ],
)
def test_document_serves_only_indexed_ids(service, monkeypatch, doc_id):
    service.index  # noqa: B018 - loaded before the file system is closed off

    def no_fs(*args, **kwargs):
        raise AssertionError("document() touched the file system")

    import builtins
    import io

    for target, attr in ((builtins, "open"), (io, "open"), (os, "open"), (os, "stat")):
        monkeypatch.setattr(target, attr, no_fs)
    for attr in ("open", "read_text", "read_bytes", "exists", "is_file", "stat"):
        monkeypatch.setattr(Path, attr, no_fs)
    with pytest.raises(QAError, match="no indexed document"):
        service.document(doc_id)
    monkeypatch.undo()
    assert service.document("000_50ee5dc811a7ea60.txt").doc_id == "000_50ee5dc811a7ea60.txt"


def test_document_looks_up_the_in_memory_dict_only():
    source = inspect.getsource(QAService.document)
    body = source.split('"""')[-1]
    assert "self.index.documents.get(doc_id)" in body
    for forbidden in ("open(", "Path(", "read_", "os.", "settings", "seeds"):
        assert forbidden not in body, forbidden


def test_document_with_non_string_id_is_a_qa_error(service):
    for doc_id in (None, 3, b"000_50ee5dc811a7ea60.txt"):
        with pytest.raises(QAError):
            service.document(doc_id)  # type: ignore[arg-type]


def test_seeds_error_is_a_qa_error():
    assert issubclass(SeedsError, QAError) and issubclass(IndexUnavailable, QAError)


# --------------------------------------------------------------------------- reused vectors

_QUESTIONS_COMPARED = (FIVE_PHASES, "泰興市委書記孫耀燦強調了什麼", "what are the five phases")


def _results(service: QAService, modes=SEARCH_MODES) -> list:
    """What a service answers, in a form that compares equal between equal indexes."""
    out = []
    for question in _QUESTIONS_COMPARED:
        for mode in modes:
            hits = service.search(question, mode=mode).hits
            out.append(
                [(h.chunk.doc_id, h.chunk.start, h.chunk.end, round(h.score, 4)) for h in hits]
            )
    return out


def _permute_rows(path: Path) -> None:
    import numpy as np

    rows = np.load(path)
    np.save(path, rows[np.random.default_rng(0).permutation(len(rows))])


def _rewrite_checksum(settings: Settings, name: str) -> None:
    """Make the manifest agree with a changed artifact, as if the build had written it."""
    import json

    from qa.files import sha256_file

    build = current_build(settings.index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["artifacts"][name] = sha256_file(build / name)
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _nan_rows(path: Path) -> None:
    import numpy as np

    rows = np.load(path)
    rows[3] = np.nan
    np.save(path, rows)


def _float64(path: Path) -> None:
    import numpy as np

    np.save(path, np.load(path).astype(np.float64))


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("how", "checksum_agrees"),
    [
        (_empty, False),
        (_truncate, False),
        (_flip, False),
        (_permute_rows, False),
        (_nan_rows, True),
        (_float64, True),
    ],
    ids=["empty", "truncate", "flip", "permuted-rows", "nan-checksum-ok", "float64-checksum-ok"],
)
def test_damaged_vectors_are_never_reused(copy, service, caplog, how, checksum_agrees):
    how(current_build(copy.index_dir) / "embeddings.npy")
    if checksum_agrees:
        _rewrite_checksum(copy, "embeddings.npy")
    embedder = FakeEmbedder()
    with caplog.at_level("WARNING", logger="qa.store.build"):
        report = build_index(copy, embedder, force=True, tables=vocabulary_tables)
    rows = read_manifest(copy.index_dir).counts.dense_rows
    assert report.reused == 0 and report.encoded == rows > report.chunks
    why = [r for r in caplog.records if "not reusing" in r.getMessage()]
    assert len(why) == 1 and "\n" not in why[0].getMessage()
    rebuilt = QAService(copy, embedder=embedder)
    rebuilt.ensure_index()
    assert _results(rebuilt, ["semantic"]) == _results(service, ["semantic"])


def test_vectors_of_a_build_with_any_damaged_file_are_not_reused(copy, caplog):
    _flip(current_build(copy.index_dir) / "dense.faiss")
    with caplog.at_level("WARNING", logger="qa.store.build"):
        report = build_index(copy, FakeEmbedder(), force=True, tables=vocabulary_tables)
    assert report.reused == 0
    assert "dense.faiss" in caplog.text and "checksum" in caplog.text


def test_vectors_of_a_whole_build_are_reused(copy, caplog):
    with caplog.at_level("WARNING", logger="qa.store.build"):
        report = build_index(copy, FakeEmbedder(), force=True, tables=vocabulary_tables)
    rows = read_manifest(copy.index_dir).counts.dense_rows
    assert report.encoded == 0 and report.reused == rows > report.chunks
    assert "not reusing" not in caplog.text


# --------------------------------------------------------------------------- damage matrix

#: Every file of a build, and the pointer: what a tester damages (see the test below them).
ARTIFACTS = (
    "CURRENT",
    "manifest.json",
    "documents.jsonl",
    "chunks.jsonl",
    "embeddings.npy",
    "dense.faiss",
    "userdict.txt",
    "lexicon.json",
    "bm25/data.csc.index.npy",
    "bm25/indices.csc.index.npy",
    "bm25/indptr.csc.index.npy",
    "bm25/params.index.json",
    "bm25/vocab.index.json",
    "chars/data.csc.index.npy",
    "chars/indices.csc.index.npy",
    "chars/indptr.csc.index.npy",
    "chars/params.index.json",
    "chars/vocab.index.json",
)


def _flip_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


#: The five ways of the damage matrix, and the permuted rows, which only fit the vectors.
WAYS = {"flip": _flip, "bit": _flip_bit, "truncate": _truncate, "empty": _empty, "delete": _delete}
MATRIX = [(name, way) for name in ARTIFACTS for way in WAYS] + [("embeddings.npy", "permute")]


def test_the_damage_matrix_covers_every_file_of_a_build(pristine):
    build = current_build(pristine / "index")
    files = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()}
    assert files | {"CURRENT"} == set(ARTIFACTS)


def _damage_one(settings: Settings, name: str, way: str) -> None:
    if name == "CURRENT":
        path = settings.index_dir / name
    else:
        path = current_build(settings.index_dir) / name
    (_permute_rows if way == "permute" else WAYS[way])(path)


def _cli_search(monkeypatch, capsys, settings: Settings, mode: str) -> tuple[int, str, str]:
    import io

    monkeypatch.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(_QUESTIONS_COMPARED) + "\n"))
    flags = ["--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir)]
    code = cli.main([*flags, "search", "--jsonl", "--mode", mode])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def good_answers(pristine: Path) -> dict[str, str]:
    """`qa search --jsonl` over the undamaged index, per mode."""
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    out = {}
    try:
        for mode in ("hybrid", "semantic"):
            import contextlib
            import io

            buf = io.StringIO()
            mp.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
            mp.setattr(sys, "stdin", io.StringIO("\n".join(_QUESTIONS_COMPARED) + "\n"))
            flags = ["--seeds", str(pristine / "seeds"), "--index", str(pristine / "index")]
            with contextlib.redirect_stdout(buf):
                assert cli.main([*flags, "search", "--jsonl", "--mode", mode]) == 0
            out[mode] = buf.getvalue()
    finally:
        mp.undo()
    assert out["hybrid"].count("\n") == len(_QUESTIONS_COMPARED)
    return out


@pytest.mark.parametrize("command", ["search", "serve", "build"])
@pytest.mark.parametrize(("name", "way"), MATRIX, ids=[f"{n}-{w}" for n, w in MATRIX])
def test_every_damaged_index_recovers_with_the_apps_own_commands(
    copy, service, good_answers, monkeypatch, capsys, name, way, command
):
    """`qa search`, `qa serve`'s loading and `qa build --force` answer as the good index does."""
    monkeypatch.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    _damage_one(copy, name, way)
    if command == "serve":  # what qa.app.ui.launch does before it serves
        served = QAService(copy, embedder=FakeEmbedder())
        served.ensure_index()
        assert _results(served) == _results(service)
        return
    if command == "build":
        monkeypatch.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
        flags = ["--seeds", str(copy.seeds_dir), "--index", str(copy.index_dir)]
        assert cli.main([*flags, "build", "--force"]) == 0, capsys.readouterr().err
        capsys.readouterr()
    for mode in ("hybrid", "semantic"):
        code, out, err = _cli_search(monkeypatch, capsys, copy, mode)
        assert code == 0 and "Traceback" not in err, err
        assert out == good_answers[mode]
    load_index(copy.index_dir)  # what the commands left is whole


# --------------------------------------------------------------------------- killed at the switch


def test_kill_9_between_the_rename_and_the_switch_keeps_the_old_index(
    copy: Settings, tmp_path: Path, monkeypatch, capsys
):
    """The build folder is in place but ``CURRENT`` still names the old one: it answers."""
    old = current_build(copy.index_dir)
    (copy.index_dir / ".tmp-deadbeef").mkdir()  # and a leftover of an earlier death
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QA_SEEDS_DIR": str(copy.seeds_dir),
        "QA_INDEX_DIR": str(copy.index_dir),
        "QA_EMBED_MODEL": FakeEmbedder.name,
        "QA_FAULT_INJECT": "after-rename",
    }
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLED_BUILD,
            "none",
            str(tmp_path / "m"),
            str(old / "lexicon.json"),
        ],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert res.returncode == -signal.SIGKILL, res.stderr.decode()[-2000:]
    builds = sorted(copy.index_dir.glob("build-*"))
    assert len(builds) == 2 and old in builds  # renamed, never switched to
    assert not list(copy.index_dir.glob(".tmp-*"))  # the build removed the earlier leftover
    assert current_build(copy.index_dir) == old
    load_index(copy.index_dir)
    _answers(copy)
    # `qa info` counts what the death left; the next build removes it and succeeds.
    monkeypatch.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    flags = ["--seeds", str(copy.seeds_dir), "--index", str(copy.index_dir)]
    assert cli.main([*flags, "info"]) == 0
    assert "leftovers:  1 " in capsys.readouterr().out
    report = build_index(copy, FakeEmbedder(), force=True, tables=vocabulary_tables)
    assert [p.name for p in copy.index_dir.glob("build-*")] == [report.path.name]
    assert QAService(copy, embedder=FakeEmbedder()).status().leftovers == 0
    _answers(copy)


# --------------------------------------------------------------------------- the seeds' boundary


def test_a_symlink_out_of_the_seeds_is_not_indexed_and_named_skipped(
    copy, tmp_path, monkeypatch, capsys
):
    secret = tmp_path / "secret.txt"
    secret.write_text(
        "机密\n这份机密文件在种子文件夹之外，口令是欧阳澜萤火虫夜游。\n", encoding="utf-8"
    )
    (copy.seeds_dir / "passwd.txt").symlink_to("/etc/passwd")
    (copy.seeds_dir / "secret.txt").symlink_to(secret)
    (copy.seeds_dir / "loop.txt").symlink_to("loop.txt")
    monkeypatch.setattr(cli, "_service", lambda s: QAService(s, embedder=FakeEmbedder()))
    monkeypatch.setenv("QA_EMBED_MODEL", FakeEmbedder.name)
    flags = ["--seeds", str(copy.seeds_dir), "--index", str(copy.index_dir)]
    assert cli.main([*flags, "build"]) == 0
    out = capsys.readouterr().out
    assert "skipped passwd.txt: symlink out of the folder" in out
    assert "skipped secret.txt: symlink out of the folder" in out
    assert "skipped loop.txt: symlink loop" in out
    manifest = read_manifest(copy.index_dir)
    assert {s["name"]: s["reason"] for s in manifest.skipped} == {
        "loop.txt": "symlink loop",
        "passwd.txt": "symlink out of the folder",
        "secret.txt": "symlink out of the folder",
    }
    assert manifest.seeds["passwd.txt"].startswith("link:")  # where it points, not /etc/passwd
    assert manifest.counts.documents == 5
    for question in ("root bash nologin", "欧阳澜萤火虫"):
        assert cli.main([*flags, "search", "--jsonl", "--mode", "keyword", question]) in (0, 2)
        passages = str(
            [json.loads(line)["passages"] for line in capsys.readouterr().out.splitlines()]
        )
        assert "root:" not in passages and "萤火虫" not in passages
    assert cli.main([*flags, "info"]) == 0
    assert "passwd.txt: symlink out of the folder" in capsys.readouterr().out
    service = QAService(copy, embedder=FakeEmbedder())
    assert not service.status().stale
    assert {"passwd.txt", "secret.txt"}.isdisjoint(service.index.documents)
    # Opening a document by id serves the index's documents only: never the link's target.
    for doc_id in ("passwd.txt", "secret.txt", "loop.txt"):
        with pytest.raises(QAError, match="no indexed document"):
            service.document(doc_id)
        assert "qa-error" in _page(service).open_document(doc_id, 0, 10, [])
    # Re-pointing a link makes the index stale, although the target is never read.
    (copy.seeds_dir / "passwd.txt").unlink()
    (copy.seeds_dir / "passwd.txt").symlink_to("/etc/hostname")
    assert service.status().stale


def test_qa_follow_symlinks_lets_a_link_out_be_read(copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密\n这份机密文件在种子文件夹之外，口令是欧阳澜萤火虫夜游。\n", "utf-8")
    (copy.seeds_dir / "secret.txt").symlink_to(secret)
    followed = load_settings(
        env={"QA_FOLLOW_SYMLINKS": "1"},
        seeds_dir=copy.seeds_dir,
        index_dir=copy.index_dir,
        embed_model=FakeEmbedder.name,
    )
    assert followed.follow_symlinks and not copy.follow_symlinks
    service = QAService(followed, embedder=FakeEmbedder())
    service.ensure_index()
    assert "secret.txt" in service.index.documents
    assert "萤火虫" in service.search("欧阳澜萤火虫", mode="keyword").hits[0].chunk.text
    with pytest.raises(ValueError, match="QA_FOLLOW_SYMLINKS"):
        load_settings(env={"QA_FOLLOW_SYMLINKS": "maybe"})


# --------------------------------------------------------------------------- a strict /ask


def _page(service: QAService):
    from qa.app.ui.callbacks import Page

    return Page(service)


def _refused(page, caplog, question, k, mode) -> str:
    """The message of a refused /ask call, after checking it is one clean line, logged once."""
    import gradio as gr

    caplog.clear()
    with caplog.at_level("INFO", logger="qa"), pytest.raises(gr.Error) as err:
        page.api_ask(question, k, mode)
    message = err.value.message
    assert "\n" not in message and " / " in message  # Chinese / English
    assert "Traceback" not in message and "Error" not in message.split(" / ")[0]
    assert not err.value.print_exception
    lines = [r for r in caplog.records if r.name.startswith("qa")]
    assert len(lines) == 1 and lines[0].exc_info is None and "refused" in lines[0].getMessage()
    return message


@pytest.mark.parametrize(
    ("question", "k", "mode", "says"),
    [
        (123, 5, "hybrid", "the question must be a string"),
        (None, 5, "hybrid", "the question must be a string"),
        (["诸城"], 5, "hybrid", "the question must be a string"),
        (FIVE_PHASES, "abc", "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, 10**6, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, 0, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, -1, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, True, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, 2.5, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, None, "hybrid", "k must be an integer from 1 to 10"),
        (FIVE_PHASES, 5, "fuzzy", "mode must be one of hybrid, keyword, semantic"),
        (FIVE_PHASES, 5, None, "mode must be one of"),
        (FIVE_PHASES, 5, ["hybrid"], "mode must be one of"),
        ("诸城" * 1001, 5, "hybrid", "longer than 2000 characters"),
        ("", 5, "hybrid", "cannot answer: the question is empty"),
        ("\ud800\x00\x1b", 5, "hybrid", "cannot answer: the question is empty"),
    ],
)
def test_ask_api_refuses_bad_requests_with_one_bilingual_line(
    service, caplog, question, k, mode, says
):
    asked = []
    page = _page(service)
    real_ask = service.ask
    service.ask = lambda *a, **kw: asked.append(a) or real_ask(*a, **kw)
    try:
        assert says in _refused(page, caplog, question, k, mode)
    finally:
        del service.ask
    if "cannot answer" not in says:
        assert asked == []  # checked before any work


def test_ask_api_answers_within_bounds_and_drops_surrogates_and_controls(service):
    page = _page(service)
    data = page.api_ask("诸城\ud800作风\x00建设\x1b[31m年\udfff活动分为哪五个阶段", 10, "semantic")
    assert data["passages"] and len(data["passages"]) <= 10
    assert "\ud800" not in data["question"] and "\x00" not in data["question"]
    one = page.api_ask(FIVE_PHASES, 1, "keyword")
    # k=1 retrieves one passage; a card beyond it is only one an item of the answer cites.
    parts = one["answer"]["items"] + one["answer"]["sentences"]
    cited = {n for part in parts for n in part["citations"]}
    assert one["passages"][0]["n"] == 1
    assert all(p["n"] in cited for p in one["passages"][1:]) and len(one["passages"]) <= 2


@pytest.mark.parametrize(
    "question", ["诸城\ud800作风建设", "\udfff五个阶段", "诸城\x00\x7f\x9b作风"]
)
def test_lone_surrogates_and_controls_never_reach_the_pipeline(service, question):
    assert service.ask(question).passages
    assert service.search(question).hits
    assert service.ask(question, history=["诸城作风建设\ud800"]).passages


@pytest.mark.parametrize(("k", "mode"), [("abc", None), (2.5, None), (None, 3), (None, ["x"])])
def test_wrong_types_of_k_and_mode_are_question_errors(service, k, mode):
    for call in (service.ask, service.search):
        with pytest.raises(QuestionError, match="must be"):
            call(FIVE_PHASES, k=k, mode=mode)


def test_the_chat_drops_lone_surrogates_too(service):
    chat, history, *_ = _page(service).respond("诸城\ud800作风建设", [], [], 3, "hybrid")
    assert "\ud800" not in chat[0]["content"] and "\ud800" not in history[0]
    chat[0]["content"].encode("utf-8")  # gradio sends it as JSON: it must encode


def test_rebuild_is_refused_to_a_visitor_not_logged_in_when_qa_auth_is_set(service, caplog):
    from qa.app.ui.callbacks import Page

    rebuilt = []

    class Guarded(QAService):
        def rebuild(self, **kwargs):
            rebuilt.append(kwargs)
            return QAService.rebuild(self, **kwargs)

    locked = Guarded(service.settings.replace(auth="admin:secret"), embedder=service.embedder)
    page = Page(locked)
    for username in (None, "", "someone"):
        with caplog.at_level("WARNING", logger="qa"):
            _, message = page.rebuild(username=username)
        assert "log in to rebuild" in message and rebuilt == []
    assert "rebuild refused" in caplog.text
    _, message = page.rebuild(username="admin")
    assert "qa-rebuilt" in message and len(rebuilt) == 1
    # Without QA_AUTH the page is local to whoever reaches it, and so is the rebuild.
    assert Page(QAService(service.settings, embedder=service.embedder)).may_rebuild(None)


def test_the_rebuild_event_is_handed_the_request(service):
    import gradio as gr
    from gradio.utils import get_type_hints

    from qa.app.ui import build_app

    demo = build_app(service)
    (rebuild,) = [fn for fn in demo.fns.values() if fn.concurrency_id == "rebuild"]
    assert get_type_hints(rebuild.fn)["request"] is gr.Request


def _raw_call(port: int, body: str) -> str:
    """POST a JSON body to /ask as it is written; the event stream of the reply."""
    import httpx

    base = f"http://127.0.0.1:{port}/gradio_api/call/ask"
    posted = httpx.post(base, content=body, headers={"Content-Type": "application/json"})
    event = posted.json()["event_id"]
    return httpx.get(f"{base}/{event}", timeout=60).text.strip()


def test_hostile_ask_through_the_served_api(service, capfd):
    """Over HTTP: refusals arrive as one bilingual line, and the server logs no traceback."""
    from gradio_client import Client

    from qa.app.ui import build_app, configure_serving
    from tests.browser import free_port

    before = sys.getswitchinterval()
    demo = configure_serving(build_app(service), service.settings)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        replies = {}
        for name, args in {
            "number": (123, 5, "hybrid"),
            "k-text": (FIVE_PHASES, "abc", "hybrid"),
            "k-huge": (FIVE_PHASES, 10**6, "hybrid"),
            "mode": (FIVE_PHASES, 5, "nope"),
            "empty": ("", 5, "hybrid"),
        }.items():
            try:
                replies[name] = client.predict(*args, api_name="/ask")
            except Exception as exc:  # noqa: BLE001 - the client's error carries the message
                replies[name] = str(exc)
        good = client.predict("诸城作风建设", 3, "keyword", api_name="/ask")
        # A lone surrogate cannot be encoded by the client; as a JSON escape it can be sent.
        surrogate = _raw_call(
            port, '{"data": ["\\u8bf8\\u57ce\\ud800\\u4f5c\\u98ce", 3, "keyword"]}'
        )
    finally:
        demo.close()
        sys.setswitchinterval(before)
    assert len(good["passages"]) == 3
    assert surrogate.startswith("event: complete") and '"passages"' in surrogate, surrogate
    assert "must be a string" in replies["number"] and "1 to 10" in replies["k-text"]
    assert "1 to 10" in replies["k-huge"] and "mode must be one of" in replies["mode"]
    assert "the question is empty" in replies["empty"]
    for reply in replies.values():
        assert isinstance(reply, str) and " / " in reply and "Traceback" not in reply
    assert "Traceback" not in capfd.readouterr().err


# --------------------------------------------------------------------------- hypothesis on /ask

_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
_ANY_TEXT = st.lists(st.one_of(st.text(max_size=20), _SURROGATES, _HOSTILE_PIECES), max_size=8).map(
    "".join
)
_ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=8), st.text(max_size=8)
)


@hsettings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    question=st.one_of(_ANY_TEXT, _ANYTHING, st.lists(st.text(max_size=5), max_size=3)),
    k=st.one_of(st.integers(min_value=-5, max_value=20), st.integers(), _ANYTHING),
    mode=st.one_of(st.sampled_from(SEARCH_MODES), _ANYTHING),
)
def test_ask_api_gives_a_result_or_a_clean_refusal(service, question, k, mode):
    import gradio as gr

    try:
        data = _page(service).api_ask(question, k, mode)
    except gr.Error as exc:
        assert "\n" not in exc.message and " / " in exc.message
        assert "internal error" not in exc.message
        return
    # Keyword search may find nothing ("0" is in no passage): an answer with no passage.
    assert isinstance(data, dict) and len(data["passages"]) <= k <= 10
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # what gradio sends must encode


@hsettings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    question=st.one_of(_ANY_TEXT, _ANYTHING),
    k=st.one_of(st.integers(min_value=-3, max_value=500), _ANYTHING),
    mode=st.one_of(st.sampled_from([*SEARCH_MODES, None]), _ANYTHING),
    history=st.lists(st.one_of(_ANY_TEXT, _ANYTHING), max_size=3),
)
def test_question_pipeline_gives_a_result_or_a_question_error(service, question, k, mode, history):
    from qa.query.prepare import prepare_query

    for call in (
        lambda: service.search(question, k=k, mode=mode),
        lambda: service.ask(question, k=k, mode=mode, history=history),
        lambda: prepare_query(question, service.index),
    ):
        try:
            result = call()
        except QuestionError as exc:
            assert "\n" not in str(exc)
            continue
        hits = getattr(result, "hits", None) or getattr(result, "passages", None) or []
        assert all(h.chunk.doc_id in service.index.documents for h in hits)
