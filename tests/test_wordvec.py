"""Word vectors: reading the package, the cache, nearest corpus words, and the widened query."""

from __future__ import annotations

import gzip
import logging
import pickle
from pathlib import Path

import numpy as np
import pytest

from qa.query import wordvec
from qa.query.prepare import prepare_query


def _fake_package(path: Path) -> Path:
    # The package's layout: a gzipped pickle of (["word f1 f2 ...", ...], lookup, lookup).
    lines = ["作风 1 0 0", "风气 0.8 0.6 0", "天气 0 0.6 0.8", "树 0 0 1"]
    with gzip.open(path, "wb") as f:
        pickle.dump((lines, {}, {}), f)
    return path


def test_read_package_gives_unit_vectors(tmp_path: Path) -> None:
    words, matrix = wordvec.read_package(_fake_package(tmp_path / "test.model"))
    assert words == ["作风", "风气", "天气", "树"]
    assert matrix.dtype == np.float16
    assert np.allclose(np.linalg.norm(matrix.astype(np.float32), axis=1), 1.0, atol=1e-3)


@pytest.fixture
def fake_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    model = _fake_package(tmp_path / "test.model")
    monkeypatch.setattr(wordvec, "package_version", lambda: "9.9")
    monkeypatch.setattr(wordvec, "_model_path", lambda: model)
    monkeypatch.setattr(wordvec, "_loaded", {})
    return model


def test_converted_once_then_read_from_the_cache(
    tmp_path: Path, fake_installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = wordvec.load_word_vectors(cache)
    assert first is not None and len(first) == 4 and "9.9" in first.source
    assert wordvec.load_word_vectors(cache) is first  # once per process

    monkeypatch.setattr(wordvec, "_loaded", {})
    monkeypatch.setattr(wordvec, "read_package", lambda path: pytest.fail("not from cache"))
    again = wordvec.load_word_vectors(cache)
    assert again is not None and again.words == first.words
    assert np.array_equal(np.asarray(again.vectors), np.asarray(first.vectors))


def test_a_damaged_cache_is_converted_again(tmp_path: Path, fake_installed: Path) -> None:
    cache = tmp_path / "cache"
    wordvec.load_word_vectors(cache)
    (folder,) = cache.iterdir()
    (folder / "vectors.npy").write_bytes(b"not numpy")
    wordvec._loaded.clear()
    vectors = wordvec.load_word_vectors(cache)
    assert vectors is not None and len(vectors) == 4


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, fake_installed: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    with caplog.at_level(logging.WARNING, logger="qa.query.wordvec"):
        vectors = wordvec.load_word_vectors(blocker / "cache")
    assert vectors is not None and len(vectors) == 4
    assert "cannot cache word vectors" in caplog.text


def test_missing_package_is_said_not_faked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(wordvec, "package_version", lambda: None)
    monkeypatch.setattr(wordvec, "_loaded", {})
    with caplog.at_level(logging.WARNING, logger="qa.query.wordvec"):
        assert wordvec.load_word_vectors(tmp_path) is None
    assert "not installed" in caplog.text


def test_neighbours_are_corpus_words_above_the_threshold(
    tmp_path: Path, fake_installed: Path
) -> None:
    vectors = wordvec.load_word_vectors(tmp_path / "cache")
    assert vectors is not None
    # 树 is a single character and 天气 not in the corpus: neither is a candidate.
    table = wordvec.Neighbours(vectors, ["作风", "风气", "树", "GDP"])
    assert table.words == ("作风", "风气")
    (word, sim), = table.of("风气", 3, 0.5)  # never the word itself
    assert word == "作风" and sim == pytest.approx(0.8, abs=2e-3)
    assert table.of("天气", 3, 0.5) == []  # 0.36 with 风气 is below the threshold
    assert [w for w, _ in table.of("天气", 3, 0.3)] == ["风气"]
    assert table.of("没有向量", 3, 0.0) == []
    assert table.of("风气", 0, 0.0) == []


# ----------------------------------------------------------------------------- real package


@pytest.fixture(scope="module")
def real_vectors(tmp_path_factory: pytest.TempPathFactory) -> wordvec.WordVectors:
    vectors = wordvec.load_word_vectors(tmp_path_factory.mktemp("wv-cache"))
    assert vectors is not None, f"{wordvec.PACKAGE} is a dependency and must be installed"
    return vectors


def test_real_vectors_know_near_synonyms(real_vectors: wordvec.WordVectors) -> None:
    table = wordvec.Neighbours(real_vectors, ["作风", "基层", "乡镇", "树木", "发展"])
    near = dict(table.of("风气", 5, 0.0))
    assert near["作风"] > near["发展"]
    assert [w for w, _ in table.of("混日子", 5, 0.0)]  # not in this corpus, still has neighbours


def test_question_words_are_widened_in_the_query(svc) -> None:
    """风气 ("ethos") gets its nearest corpus words (学风, 观念 on the seeds), below itself."""
    query = prepare_query("诸城的干部眼下在风气上有哪些毛病？", svc.index)
    terms = dict(query.terms)
    concept = next(c for c in query.concepts if c.label == "风气")
    added = [t for t, _ in concept.terms if t != "风气"]
    assert added, "风气 got no near-synonyms"
    assert all(0 < terms[t] < 1 for t in added)  # below the question's own words
    assert terms["风气"] == 1.0
    plain = prepare_query("诸城的干部眼下在风气上有哪些毛病？", svc.index, widen=False)
    assert set(dict(plain.terms)) < set(terms)


def _flip(path: Path, mask: int) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= mask
    path.write_bytes(bytes(data))


_CACHE_DAMAGE = {
    "flip": lambda p: _flip(p, 0xFF),
    "bit": lambda p: _flip(p, 0x01),
    "truncate": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "delete": lambda p: p.unlink(),
}


@pytest.mark.parametrize("way", list(_CACHE_DAMAGE))
@pytest.mark.parametrize("name", ["vectors.npy", "words.txt", "checksums.json"])
def test_a_cache_file_damaged_in_any_way_is_never_used(
    tmp_path: Path, fake_installed: Path, caplog: pytest.LogCaptureFixture, name: str, way: str
) -> None:
    cache = tmp_path / "cache"
    good = wordvec.load_word_vectors(cache)
    (folder,) = cache.iterdir()
    _CACHE_DAMAGE[way](folder / name)
    wordvec._loaded.clear()
    with caplog.at_level(logging.WARNING, logger="qa.query.wordvec"):
        again = wordvec.load_word_vectors(cache)
    assert again is not None and again.words == good.words
    assert np.array_equal(np.asarray(again.vectors), np.asarray(good.vectors))
    lines = [r for r in caplog.records if "not used" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0].getMessage()
    # ... and the damaged folder was replaced by a good one.
    wordvec._loaded.clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa.query.wordvec"):
        wordvec.load_word_vectors(cache)
    assert "not used" not in caplog.text


def test_cached_vectors_that_are_not_finite_are_not_used_even_with_their_checksum(
    tmp_path: Path, fake_installed: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib
    import json

    cache = tmp_path / "cache"
    wordvec.load_word_vectors(cache)
    (folder,) = cache.iterdir()
    matrix = np.load(folder / "vectors.npy")
    matrix[1] = np.nan
    np.save(folder / "vectors.npy", matrix)
    sums = json.loads((folder / "checksums.json").read_text())
    sums["vectors.npy"] = hashlib.sha256((folder / "vectors.npy").read_bytes()).hexdigest()
    (folder / "checksums.json").write_text(json.dumps(sums))
    wordvec._loaded.clear()
    with caplog.at_level(logging.WARNING, logger="qa.query.wordvec"):
        again = wordvec.load_word_vectors(cache)
    assert np.isfinite(np.asarray(again.vectors, dtype=np.float32)).all()
    assert "NaN" in caplog.text
