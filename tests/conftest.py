"""Shared fixtures: seeds copied to tmp_path, an index pointed at tmp_path, and embedders.

Unit tests use :class:`FakeEmbedder`, a tiny deterministic stand-in that the product itself
never uses; integration tests (marked ``slow``) run the real packaged model on the real seeds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.synth import HashEmbedder
from qa.settings import Settings, load_settings

# The scripted language-model server and the service configured with it (written answers).
from tests.llm_server import gen_svc, llm, server  # noqa: F401, E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIVE_PHASES = "诸城作风建设年活动分为哪五个阶段"


class FakeEmbedder(HashEmbedder):
    """Hashes character bigrams (by MD5) into a small unit vector; counts what it encodes."""

    name = "fake:bigram-hash"
    description = "fake embedder for unit tests"
    dim = 32

    def __init__(self) -> None:
        super().__init__(FakeEmbedder.name, FakeEmbedder.dim)
        self.encoded: list[str] = []

    def buckets(self, text: str) -> np.ndarray:
        hashes = [int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16) for a, b in pairwise(text)]
        return np.array(hashes, dtype=np.int64) % self.dim

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32, progress=None):
        self.encoded.extend(texts)
        return super().encode_passages(texts, batch_size, progress)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Derived data (parsed CC-CEDICT, word vectors) is made afresh in a folder of the run's,
    so the suite tests the conversion and never depends on what a user's cache holds."""
    os.environ["QA_CACHE_DIR"] = str(tmp_path_factory.mktemp("qa-cache"))


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the real seeds."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture
def settings(tmp_path: Path, seeds_dir: Path) -> Settings:
    """Settings whose seeds and index live under tmp_path, with the fake model."""
    return load_settings(
        env={},
        seeds_dir=seeds_dir,
        index_dir=tmp_path / "index",
        embed_model=FakeEmbedder.name,
    )


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_service(settings: Settings, fake_embedder: FakeEmbedder):
    """A service over the real seeds with the fake embedder, index built in tmp_path."""
    from qa.app.service import QAService

    service = QAService(settings, embedder=fake_embedder)
    service.ensure_index()
    return service


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory):
    """Like ``fake_service`` (real seeds, fake embedder), built once per test module."""
    from qa.app.service import QAService

    settings = load_settings(
        env={},
        seeds_dir=SEEDS,
        index_dir=tmp_path_factory.mktemp("svc") / "index",
        embed_model=FakeEmbedder.name,
    )
    service = QAService(settings, embedder=FakeEmbedder())
    service.ensure_index()
    return service


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with the real packaged model and the real seeds, index in a temp folder."""
    return load_settings(
        env={}, seeds_dir=SEEDS, index_dir=tmp_path_factory.mktemp("real") / "index"
    )


@pytest.fixture(scope="session")
def real_service(real_settings: Settings):
    """The real model on the real seeds: loaded and built once per test session."""
    from qa.app.service import QAService

    service = QAService(real_settings)
    service.ensure_index()
    return service


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, one per test module."""
    from tests.browser import launch_chromium

    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with playwright_api.sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()  # type: ignore[attr-defined]
