"""The service: how it loads (cold start) and how it answers several questions at once.

The fake embedder stands in for the model; where the model's loading matters, ``load_embedder``
is replaced by a function that records when and where it ran.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import qa.app.service
import qa.store.build
import qa.store.index
from qa.app.service import QAService
from qa.errors import ModelError
from qa.query.translate import vocabulary_tables
from qa.settings import Settings
from qa.store.build import build_index

from .conftest import FIVE_PHASES, FakeEmbedder

QUESTIONS = (
    FIVE_PHASES,
    "what are the five phases in Zhucheng",
    "泰興市委書記孫耀燦強調了什麼",
    "“三个年”行动是哪三个年",
    "作风建设",
    "宣传发动阶段做什么",
)


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Replace ``module.name`` by a wrapper that records its calls; returns the record."""
    calls: list[Any] = []
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _fingerprint(answer: Any) -> tuple:
    return (
        answer.found,
        tuple(answer.terms),
        tuple((h.chunk.chunk_id, round(float(h.score), 6)) for h in answer.passages),
    )


# --------------------------------------------------------------------------- cold start


def test_an_up_to_date_index_is_loaded_without_a_build_and_hashed_once(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    hashed = _counting(monkeypatch, qa.app.service, "seed_hashes")
    hashed_by_build = _counting(monkeypatch, qa.store.build, "seed_hashes")
    monkeypatch.setattr(qa.app.service, "build_index", lambda *a, **k: pytest.fail("built"))
    service = QAService(settings, embedder=fake_embedder)
    report = service.ensure_index()
    assert not report.rebuilt and report.path == service.index.path
    assert len(hashed) + len(hashed_by_build) == 1  # 10k seed files take ~0.4 s a pass
    assert service.ask(FIVE_PHASES).found


def test_a_stale_index_is_rebuilt_with_the_seeds_hashed_once(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    seed = sorted(settings.seeds_dir.glob("*.txt"))[0]
    seed.write_text(seed.read_text(encoding="utf-8") + "\n新增一句。", encoding="utf-8")
    hashed = _counting(monkeypatch, qa.app.service, "seed_hashes")
    hashed_by_build = _counting(monkeypatch, qa.store.build, "seed_hashes")
    service = QAService(settings, embedder=fake_embedder)
    report = service.ensure_index()
    assert report.rebuilt and report.reasons
    assert len(hashed) + len(hashed_by_build) == 1


def test_the_model_loads_while_the_checksums_are_verified(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    verifying = threading.Event()
    real_verify = qa.store.index.verify

    def verify(*args: Any) -> None:
        verifying.set()
        time.sleep(0.2)  # still hashing when the model is asked for
        real_verify(*args)

    monkeypatch.setattr(qa.store.index, "verify", verify)
    loads: list[tuple[str, bool]] = []

    def load_embedder(name: str) -> FakeEmbedder:
        # The checksums are being verified in another thread while the model loads here.
        loads.append((threading.current_thread().name, verifying.wait(5)))
        return fake_embedder

    monkeypatch.setattr(qa.app.service, "load_embedder", load_embedder)
    service = QAService(settings)
    assert not service.ensure_index().rebuilt
    assert loads == [(threading.current_thread().name, True)]
    assert service.ask(FIVE_PHASES).found
    assert service.embedder is fake_embedder and len(loads) == 1


def test_a_model_that_fails_to_load_is_the_error_and_the_load_is_dropped(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)

    def broken(name: str) -> Any:
        raise ModelError(f"embedding model {name!r} could not be loaded (test)")

    monkeypatch.setattr(qa.app.service, "load_embedder", broken)
    monkeypatch.setattr(qa.app.service, "build_index", lambda *a, **k: pytest.fail("rebuilt"))
    service = QAService(settings)
    with pytest.raises(ModelError, match="could not be loaded"):
        service.ensure_index()
    # The background reads were waited for, not left running.
    assert not [t for t in threading.enumerate() if t.name.startswith("qa-load-index")]
    # A later attempt tries again (e.g. after the model was installed).
    monkeypatch.setattr(qa.app.service, "load_embedder", lambda name: fake_embedder)
    assert not service.ensure_index().rebuilt and service.ask(FIVE_PHASES).found


def test_the_model_is_loaded_once_when_asked_for_from_several_threads(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def slow_load(name: str) -> FakeEmbedder:
        calls.append(name)
        time.sleep(0.1)
        return fake_embedder

    monkeypatch.setattr(qa.app.service, "load_embedder", slow_load)
    service = QAService(settings)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: service.embedder, range(8)))
    assert calls == [settings.embed_model] and all(e is fake_embedder for e in got)


def test_concurrent_first_questions_load_the_index_once(
    settings: Settings, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, fake_embedder, tables=vocabulary_tables)
    opened = _counting(monkeypatch, qa.app.service, "open_index")
    service = QAService(settings, embedder=fake_embedder)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(service.ask, QUESTIONS))
    assert len(opened) == 1 and answers[0].found  # no "a rebuild is already running"


# --------------------------------------------------------------------------- concurrency


def test_concurrent_questions_get_the_answers_asked_one_at_a_time(fake_service: Any) -> None:
    expected = {q: _fingerprint(fake_service.ask(q)) for q in QUESTIONS}
    asked = list(QUESTIONS) * 6
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda q: (q, _fingerprint(fake_service.ask(q))), asked))
    assert all(fp == expected[q] for q, fp in got)


def test_questions_are_answered_during_a_rebuild(fake_service: Any) -> None:
    errors: list[BaseException] = []
    answered: list[bool] = []
    done = threading.Event()

    def ask_until_done() -> None:
        while not done.is_set():
            try:
                answered.append(fake_service.ask(FIVE_PHASES).found)
            except BaseException as exc:  # noqa: BLE001 - every failure fails the test
                errors.append(exc)
                return

    askers = [threading.Thread(target=ask_until_done) for _ in range(4)]
    for t in askers:
        t.start()
    try:
        old = fake_service.index
        report = fake_service.rebuild(force=True)
        time.sleep(0.2)  # a few questions on the new index too
    finally:
        done.set()
        for t in askers:
            t.join()
    assert not errors and answered and all(answered)
    assert report.rebuilt and fake_service.index is not old
