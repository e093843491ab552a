"""The one object the command line and the page talk to.

It loads the embedding model and the index once, answers questions, and rebuilds the index
in the background of the caller's choosing: questions keep being answered from the old index
until the new one is loaded and swapped in.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qa.answer.compose import compose_answer
from qa.answer.result import NOTICE_NEEDS_CONTEXT, Answer
from qa.errors import IndexUnavailable, QAError, QuestionError, SeedsError
from qa.ingest.corpus import DOCUMENT_FILES, Document
from qa.query.followup import analyze_followup
from qa.query.prepare import attach_neighbours, clean_question
from qa.query.translate import lexicon_of, vocabulary_tables
from qa.search.search import SearchResult, search
from qa.settings import Settings
from qa.store.build import BuildReport, Progress, build_index, unchanged_report
from qa.store.embed import Embedder, load_embedder, model_name
from qa.store.folder import leftovers, read_manifest, seed_hashes, stale_reasons
from qa.store.index import Index, open_index
from qa.store.manifest import Manifest
from qa.text import is_english

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is asked
    from qa.answer.generate import Turn, WrittenRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    """What the index and model in use are, and whether the index is stale."""

    index_dir: Path
    model: str
    model_description: str
    documents: int
    chunks: int
    built_at: str
    stale: bool
    reasons: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    #: Folders and files left by builds that died (removed by the next build).
    leftovers: int = 0
    #: Where the vectors are: "local" or "milvus" (``QA_STORE``).
    store: str = "local"


@dataclass(frozen=True)
class StoreInfo:
    """The store the vectors are in, for ``qa info``: never the token."""

    store: str
    #: The Milvus URI without credentials; "" for the local store.
    uri: str = ""
    #: The alias the app reads, and the collection it names now.
    alias: str = ""
    collection: str = ""
    rows: int = 0


def _check_k_and_mode(k: object, mode: object) -> None:
    """Refuse a ``k`` or ``mode`` of the wrong type (their values are the search's to judge).

    Raises:
        QuestionError: ``k`` is not an int or None, or ``mode`` not a str or None.
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, int)):
        raise QuestionError(f"the number of passages must be an integer, not {type(k).__name__}")
    if mode is not None and not isinstance(mode, str):
        raise QuestionError(f"the search mode must be text, not {type(mode).__name__}")


class QAService:
    """Questions in, cited passages out.

    Args:
        settings: Settings in force.
        embedder: A ready embedder (tests pass a small fake); by default the settings' model
            is loaded.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._index: Index | None = None
        self._swap = threading.Lock()
        self._building = threading.Lock()
        # Held while the model loads, so that it is loaded once whoever asks first.
        self._model_lock = threading.Lock()
        # Held while the first index loads, so that concurrent first questions wait for it.
        self._first_load = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use.

        Raises:
            ModelError: The model cannot be loaded.
        """
        if self._embedder is None:
            with self._model_lock:
                if self._embedder is None:
                    self._embedder = load_embedder(self.settings.embed_model)
        return self._embedder

    @property
    def index(self) -> Index:
        """The index in use; loaded (and built if missing or stale) on first use."""
        if self._index is None:
            with self._first_load:
                if self._index is None:
                    self.ensure_index()
        assert self._index is not None
        return self._index

    def ensure_index(self, progress: Progress | None = None) -> BuildReport:
        """Build the index if it is missing or stale, then load it.

        A corrupt index is rebuilt once, with a log line saying why.
        """
        try:
            return self.rebuild(progress=progress)
        except IndexUnavailable as exc:
            logger.warning("%s; rebuilding", exc)
            return self.rebuild(force=True, progress=progress)

    def _load(self) -> None:
        # Checksums and binary artifacts are read in the background (no GIL needed) while
        # this thread imports and loads the model (~5 s of Python); the index's text
        # artifacts are parsed afterwards, here (docs/benchmarks.md, cold start).
        pending = open_index(self.settings.index_dir, settings=self.settings)
        try:
            embedder = self.embedder
        except BaseException:
            pending.discard()
            raise
        index = pending.result()
        if index.model != embedder.name:
            raise IndexUnavailable(
                f"index was built with {index.model}, the model in use is {embedder.name}"
            )
        try:
            lexicon_of(index)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexUnavailable(
                f"index in {index.path} is unreadable (lexicon.json: {exc}); "
                "run `qa build --force`"
            ) from exc
        attach_neighbours(index, self.settings.cache_dir)
        with self._swap:
            self._index = index

    def rebuild(self, *, force: bool = False, progress: Progress | None = None) -> BuildReport:
        """Rebuild the index if stale (or always, with ``force``) and swap it in.

        Raises:
            QAError: Another rebuild is running, or the build failed (the old index stays).
        """
        # A missing or empty seeds folder fails before the model loads (seconds for nothing).
        hashes = seed_hashes(self.settings.seeds_dir, follow_symlinks=self.settings.follow_symlinks)
        if not hashes:
            raise SeedsError(f"seeds folder {self.settings.seeds_dir} holds no {DOCUMENT_FILES}")
        if not self._building.acquire(blocking=False):
            raise QAError("a rebuild is already running; try again when it has finished")
        try:
            # Up to date: no build, so the model is not needed before the index load, which
            # overlaps it (see _load). Either way the seeds are hashed once.
            report = None if force else unchanged_report(self.settings, hashes)
            if report is None:
                report = build_index(
                    self.settings,
                    self.embedder,
                    force=force,
                    progress=progress,
                    hashes=hashes,
                    tables=vocabulary_tables,
                )
            if report.rebuilt or self._index is None:
                self._load()
            return report
        finally:
            self._building.release()

    @property
    def rebuilding(self) -> bool:
        """True while a rebuild runs."""
        return self._building.locked()

    def search(
        self, question: str, *, k: int | None = None, mode: str | None = None
    ) -> SearchResult:
        """Passages for a question (see :func:`qa.search.search.search`)."""
        return self._search(self.index, question, k, mode)

    def _search(self, index: Index, question: str, k: int | None, mode: str | None) -> SearchResult:
        _check_k_and_mode(k, mode)
        mode = mode or self.settings.mode
        return search(
            index,
            question,
            embedder=None if mode == "keyword" else self.embedder,
            k=k or self.settings.top_k,
            mode=mode,
            max_chars=self.settings.max_question_chars,
        )

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """An answer composed from the passages, with citations.

        Args:
            question: The question as typed.
            k: Passages to retrieve.
            mode: Search mode.
            history: Earlier questions of the conversation, oldest first; an elliptical
                follow-up ("那第三个阶段呢?") is searched together with their topic, and an
                ordinal in it picks that item of the topic's list.
        """
        # Checked and cleaned before any work: the follow-up analysis reads the text too.
        question = clean_question("" if question is None else question)
        history = [clean_question(h) for h in history if isinstance(h, str)]
        _check_k_and_mode(k, mode)
        index = self.index  # one index for hits and documents, even if a rebuild swaps now
        followup = analyze_followup(question, history)
        if followup.needs_context:
            # Searched as typed, the closest passages are shown; nothing is claimed of them.
            try:
                result = self._search(index, question, k, mode)
            except QuestionError:
                result = SearchResult(question, [], (), mode or self.settings.mode, True, 0.0)
            return dataclasses.replace(
                compose_answer(result, index.documents, detect_list=False, chunks=index.chunks),
                sentences=[],
                items=[],
                lead="",
                found=False,
                notice=NOTICE_NEEDS_CONTEXT,
            )
        result = self._search(index, followup.query, k, mode)
        truncated = len(question.strip()) > self.settings.max_question_chars
        answer = compose_answer(
            result,
            index.documents,
            truncated=truncated,
            question=question,
            request=followup.request if followup.is_followup else None,
            chunks=index.chunks,
            kind=followup.kind,
        )
        if answer.found and is_english(question or ""):
            from qa.answer.gloss import gloss_text

            parts = [*answer.items, *answer.sentences]
            answer = dataclasses.replace(
                answer, glosses={p.text: gloss_text(p.text) for p in parts}
            )
        return answer

    def written_run(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str | None = None,
        history: Sequence[str] = (),
        turns: Sequence[Turn] = (),
    ) -> WrittenRun:
        """The extractive answer at once, and a run that has the model write one from its
        passages (``QA_LLM_URL``; see :mod:`qa.answer.generate`). Iterate over the run for the
        text as it streams; its ``result`` is the checked answer, or the fallback with its notice.

        Args:
            question, k, mode, history: As for :meth:`ask`.
            turns: Earlier questions with the answers they got, for the model.
        """
        from qa.answer.generate import WrittenRun

        answer = self.ask(question, k=k, mode=mode, history=history)
        index = self.index
        lexicon, vocab = lexicon_of(index), index.bm25.vocab_dict

        def english_terms(text: str) -> list[str]:
            return [] if lexicon is None else [t.term for t in lexicon.translate(text, vocab)]

        return WrittenRun(
            self.settings,
            answer,
            turns=turns,
            tokens=index.tokenizer.tokens,
            english_terms=english_terms,
        )

    def add_documents(
        self, files: Sequence[tuple[Path, str | None]], *, progress: Progress | None = None
    ) -> tuple[list[str], list[str], BuildReport | None]:
        """Add files to the seeds folder (:func:`qa.ingest.library.add_file`), then rebuild.

        Args:
            files: ``(path, name)`` pairs; ``name`` is what the file should be called (an
                upload's original name), None for its own.
            progress: Build progress.

        Returns:
            The names added, one bilingual line per file refused, and the rebuild's report
            (None when nothing was added).
        """
        from qa.ingest.library import add_file

        added: list[str] = []
        refused: list[str] = []
        for path, name in files:
            try:
                added.append(add_file(self.settings, Path(path), name).name)
            except QAError as exc:
                logger.info("%s", exc)
                refused.append(str(exc))
        report = self.rebuild(progress=progress) if added else None
        return added, refused, report

    def remove_document(self, doc_id: str, *, progress: Progress | None = None) -> BuildReport:
        """Move a document to the trash folder beside the seeds, then rebuild.

        Raises:
            DocumentError: No such document.
        """
        from qa.ingest.library import remove_file

        remove_file(self.settings, doc_id)
        return self.rebuild(progress=progress)

    def document(self, doc_id: str) -> Document:
        """A cleaned document by id.

        Raises:
            QAError: No indexed document has that id.
        """
        doc = self.index.documents.get(doc_id)
        if doc is None:
            raise QAError(f"no indexed document {doc_id!r}")
        return doc

    def status(self) -> Status:
        """The index and model in use, and whether the seeds changed since the build."""
        manifest = self._index.manifest if self._index else read_manifest(self.settings.index_dir)
        try:
            hashes = seed_hashes(
                self.settings.seeds_dir,
                remember=True,
                follow_symlinks=self.settings.follow_symlinks,
            )
            reasons = stale_reasons(manifest, self.settings, hashes)
        except SeedsError as exc:
            reasons = [str(exc)]
        description = (
            getattr(self._embedder, "description", self.settings.embed_model)
            if self._embedder is not None
            else self.settings.embed_model
        )
        manifest = manifest or Manifest()
        return Status(
            index_dir=self.settings.index_dir,
            model=model_name(self.settings.embed_model),
            model_description=description,
            documents=int(manifest.counts.documents),
            chunks=int(manifest.counts.chunks),
            built_at=str(manifest.built_at),
            stale=bool(reasons),
            reasons=reasons,
            skipped=list(manifest.skipped),
            leftovers=len(leftovers(self.settings.index_dir)),
            store=self.settings.store,
        )

    def store_info(self) -> StoreInfo:
        """The store in use and how many vector rows it holds (Milvus is asked).

        Raises:
            StoreError: Milvus cannot be used (unreachable, token refused, time-out).
        """
        if self.settings.store != "milvus":
            manifest = read_manifest(self.settings.index_dir)
            rows = int(manifest.counts.dense_rows) if manifest else 0
            return StoreInfo(store="local", rows=rows)
        from qa.store.milvus import loaded_target, resolve_uri, row_count, safe_uri

        target = loaded_target(self.settings)
        return StoreInfo(
            store="milvus",
            uri=safe_uri(resolve_uri(self.settings)),
            alias=self.settings.milvus_collection,
            collection=target or "",
            rows=row_count(self.settings) if target else 0,
        )
