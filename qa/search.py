"""Find the passages for a question: keyword (BM25), semantic (dense) or hybrid, by name.

The question is normalised (Traditional to Simplified, full-width to half-width), tokenised
like the passages, and its Latin-script words (English, pinyin) are turned into Chinese
corpus terms by the index's lexicon. The terms searched for come back with the hits.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunk import Chunk
from qa.embed import Embedder
from qa.errors import QuestionError
from qa.index import Index
from qa.settings import WIDENING_STAGES
from qa.text import CN_LARGE, CN_NUMERALS, HAN_BMP, HAN_BMP_CHAR
from qa.textnorm import normalize
from qa.translate import content_words
from qa.tuning import FUSION_BY_MODEL, MULTILINGUAL_FUSION, RELEVANCE, WIDENING, Fusion

logger = logging.getLogger(__name__)

_RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """A passage found for a question."""

    chunk: Chunk
    score: float
    rank: int
    keyword_score: float
    dense_score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    """One thing a question asks about, and the query terms that stand for it.

    A Chinese word with the parts jieba's search mode also emits ("督导组": 督导组, 督导) and its
    nearest corpus words by word vectors (:func:`_widen`), an English word or phrase with its
    translations, or a Latin word nothing translates ("GDP", "Shanghai"): then ``terms`` is
    empty, the corpus has no word for it.
    """

    label: str
    #: (term, how much of the concept a passage that contains the term has): 1.0 for the
    #: word itself, a part's share of its characters, a translation's or neighbour's weight.
    terms: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Query:
    """A question made ready for search."""

    question: str
    normalized: str
    terms: tuple[tuple[str, float], ...]  # (Simplified term, weight), question order
    translated: tuple[str, ...]  # the terms that came from English or pinyin words
    concepts: tuple[Concept, ...] = ()  # what coverage (the weak flag) is measured on
    chars: tuple[str, ...] = ()  # Chinese characters of the question's words, for char BM25


@dataclass(frozen=True)
class SearchResult:
    """Hits for one question, best first."""

    question: str
    hits: list[Hit]
    terms: tuple[str, ...]
    mode: str
    weak: bool
    coverage: float


_MULTILINGUAL_HINTS = ("bge-m3", "multilingual", "-zh", "chinese", "labse", "m3e", "text2vec")


def fusion_for(model: str) -> Fusion:
    """The fusion weights for an embedding model."""
    if model in FUSION_BY_MODEL:
        return FUSION_BY_MODEL[model]
    if any(h in model.lower() for h in _MULTILINGUAL_HINTS):
        return MULTILINGUAL_FUSION
    return Fusion()


#: Lexicon term sources switched off with each widening stage.
_STAGE_SOURCES = {
    "english": ("english", "phrase", "number"),
    "pinyin": ("pinyin",),
    "compounds": ("compound",),
}


# Lone surrogates (which no encoder accepts: opencc raised UnicodeEncodeError on "\ud800") and
# control characters other than tab and line breaks (terminal escapes, NUL) carry nothing to
# search for.
_UNSEARCHABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_question(question: object) -> str:
    """A question as text with lone surrogates and control characters dropped.

    Raises:
        QuestionError: The question is not a string.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    return _UNSEARCHABLE.sub("", question)


def prepare_query(
    question: str,
    index: Index,
    max_chars: int = 2000,
    translate: bool = True,
    widen: bool = True,
    without: frozenset[str] = frozenset(),
) -> Query:
    """Normalise, tokenise and translate a question.

    Args:
        question: What the user typed.
        index: The loaded index (tokenizer and lexicon).
        max_chars: Longer questions are cut to this many characters.
        translate: Turn English and pinyin words into Chinese terms.
        widen: Also search each Chinese word's nearest corpus words (see :func:`_widen`).
        without: Names of :data:`WIDENING_STAGES` to leave out (for measurement).

    Returns:
        The query, with weighted terms.

    Raises:
        QuestionError: The question is empty or has nothing searchable in it.
    """
    question = clean_question(question or "").strip()[:max_chars]
    if not question:
        raise QuestionError("the question is empty")
    normalized = normalize(question)
    weights: dict[str, float] = {}
    latin = False
    words: list[str] = []  # Chinese words and numbers, each once
    known_latin: list[str] = []
    for tok in index.tokenizer.tokens(normalized):
        if re.fullmatch(r"[a-z]+", tok):
            latin = True
            # An English word is searched as itself only where the corpus has it ("GDP");
            # otherwise the lexicon below turns it into Chinese terms.
            if not index.bm25.get_tokens_ids([tok]):
                continue
            known_latin.append(tok)
        elif tok not in weights:
            words.append(tok)
        weights.setdefault(tok, 1.0)
    # jieba's search mode emits a compound and its parts (督导组, 督导): one concept each.
    heads = [w for w in words if not any(w != o and w in o for o in words)]
    parts = {h: [(w, round(len(w) / len(h), 3)) for w in words if w != h and w in h] for h in heads}
    lexicon = index.lexicon
    concepts = [Concept(h, ((h, 1.0), *parts[h])) for h in heads]
    concepts += [Concept(t, ((t, 1.0),)) for t in dict.fromkeys(known_latin)]
    translated: list[str] = []
    if translate and lexicon is not None:
        by_origin: dict[str, list[tuple[str, float]]] = {}
        # One entry per term, from its best span.
        off = {src for stage in without for src in _STAGE_SOURCES.get(stage, ())}
        for qt in lexicon.translate(normalized, index.bm25.vocab_dict):
            if qt.source in off:
                continue
            by_origin.setdefault(qt.origin.lower(), []).append((qt.term, qt.weight))
        for alternatives in by_origin.values():
            new = [(t, w) for t, w in alternatives if t not in weights]
            translated.extend(t for t, _ in new)
            weights.update(_share_span(new))
        concepts += [Concept(o, tuple(ts)) for o, ts in by_origin.items()]
        understood = {w for o in by_origin for w in re.findall(r"[a-z]+", o)}
    else:
        understood = set()
    understood.update(known_latin)
    concepts += [Concept(w, ()) for w in content_words(normalized) if w not in understood]
    if widen and "neighbours" not in without:
        concepts = _widen(index, concepts, weights)
    if not weights and not latin:
        raise QuestionError(f"nothing to search for in {question!r}")
    chars = tuple(ch for h in heads for ch in h if _CJK_CHAR.fullmatch(ch))
    # An English question has no Chinese characters of its own: its translations' characters
    # stand in, so that it gets the character signal too (东融 shares 融 with 融入).
    if "translation-chars" not in without:
        seen = set(chars)
        extra = [ch for t in translated for ch in t if _CJK_CHAR.fullmatch(ch) and ch not in seen]
        chars += tuple(dict.fromkeys(extra))
    return Query(
        question,
        normalized,
        tuple(weights.items()),
        tuple(translated),
        tuple(concepts),
        chars,
    )


_CJK_CHAR = HAN_BMP_CHAR
_CJK_WORD = re.compile(f"[{HAN_BMP}]{{2,4}}")


_neighbours_lock = threading.Lock()


def attach_neighbours(index: Index, cache_dir: Path) -> None:
    """Give an index its nearest-word table (:class:`qa.wordvec.Neighbours`), once.

    Args:
        index: A loaded index.
        cache_dir: Where the converted word vectors are kept (``Settings.cache_dir``).
    """
    from qa import wordvec

    with _neighbours_lock:
        if index.neighbours is None:
            vectors = wordvec.load_word_vectors(cache_dir)
            index.neighbours = (
                wordvec.Neighbours(vectors, _content_words(index.bm25.vocab_dict))
                if vectors
                else False
            )


def neighbours_for(index: Index) -> Any | None:
    """The index's nearest-word table; made with the default cache folder if the service
    did not attach one. None when the word vectors are not installed."""
    if index.neighbours is None:
        from qa.settings import default_cache_dir

        attach_neighbours(index, default_cache_dir())
    return index.neighbours or None


#: jieba tags of words that carry no topic of their own (conjunctions, prepositions, adverbs,
#: pronouns, particles, numerals, measure words): never offered as a near-synonym.
_FUNCTION_TAGS = ("c", "p", "d", "r", "u", "m", "q", "f", "t", "y", "e", "o")


def _content_words(words: Iterable[str]) -> Iterator[str]:
    from jieba import posseg

    tags = posseg.dt.word_tag_tab
    for word in words:
        tag = tags.get(word)
        if tag is None or not tag.startswith(_FUNCTION_TAGS):
            yield word


def _widen(index: Index, concepts: list[Concept], weights: dict[str, float]) -> list[Concept]:
    """Add each Chinese word's nearest corpus words to its concept and to the query terms.

    A question in its own words ("那篇讲话要求这次行动别搞哪些花架子") shares few words with the
    passage ("不耍花拳繡腿"); word vectors trained on Chinese text know that 花架子 is near
    花拳绣腿, 营收 near 收入, 考量 near 考虑. Words already in the query keep their weight.
    """
    table = neighbours_for(index)
    if table is None:
        return concepts
    widened = []
    for concept in concepts:
        if concept.terms and _CJK_WORD.fullmatch(concept.label):
            near = [
                (w, round(WIDENING.neighbour_weight * sim, 3))
                for w, sim in table.of(
                    concept.label, WIDENING.max_neighbours + 4, WIDENING.neighbour_threshold
                )
                if w not in weights
            ][: WIDENING.max_neighbours]
            if near:
                weights.update(near)
                concept = Concept(concept.label, concept.terms + tuple(near))
        widened.append(concept)
    return widened


def _share_span(alternatives: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Weights for the translations of one English word or phrase, shared among them.

    "party secretary" gives 书记, 市委书记 and 党委书记: added up at full weight they would
    count three times as much as "Zhucheng" (诸城) in the same question. Together they get the
    best one's weight plus :attr:`~qa.tuning.Widening.span_alternative_bonus` of it per extra
    alternative, in proportion to their own weights (measured with ``qa eval``: English R@1
    0.70 → 0.73, R@5 0.93 → 0.97; with no bonus R@1 falls to 0.67, with 0.5 R@5 stays 0.93).
    """
    if len(alternatives) < 2:
        return alternatives
    total = sum(w for _, w in alternatives)
    best = max(w for _, w in alternatives)
    budget = best * (1 + WIDENING.span_alternative_bonus * (len(alternatives) - 1))
    return [(t, round(w * budget / total, 3)) for t, w in alternatives]


class TermScores:
    """Each query term's BM25 score in every chunk, kept as the term's postings.

    A term's scores are the chunks that contain it, in increasing order, and its score in
    each; every other chunk scores 0 for it. Only a few facts about a term are ever needed
    (how many chunks have it, its best score, its score in a few top chunks), so a full-length
    array per term is never built: at 100k chunks building them cost more than the scoring.
    """

    __slots__ = ("n_chunks", "_ids", "_scores", "_spans")

    def __init__(
        self,
        n_chunks: int,
        ids: np.ndarray,
        scores: np.ndarray,
        spans: dict[str, tuple[int, int]],
    ) -> None:
        """Wrap postings.

        Args:
            n_chunks: How many chunks the index has.
            ids: Chunk ids of all postings; each term's slice is increasing.
            scores: The float32 score of each posting, aligned with ``ids``.
            spans: Each query term's ``(start, end)`` slice of ``ids`` and ``scores``, in
                query order; an empty slice for a term the index does not have.
        """
        self.n_chunks = n_chunks
        self._ids = ids
        self._scores = scores
        self._spans = spans

    def __contains__(self, term: object) -> bool:
        return term in self._spans

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunk ids that have ``term`` (increasing) and its score in each (views)."""
        lo, hi = self._spans[term]
        return self._ids[lo:hi], self._scores[lo:hi]

    def df(self, term: str) -> int:
        """How many chunks ``term`` scores above zero in (its document frequency)."""
        lo, hi = self._spans[term]
        return int(np.count_nonzero(self._scores[lo:hi]))

    def max(self, term: str) -> float:
        """The best score of ``term`` in any chunk, 0 when no chunk has it."""
        lo, hi = self._spans[term]
        return float(np.max(self._scores[lo:hi], initial=0.0))

    def score(self, term: str, chunk: int) -> float:
        """The score of ``term`` in one chunk."""
        lo, hi = self._spans[term]
        # Postings are sorted by chunk id, so a lookup is a binary search, not a scan.
        at = lo + int(np.searchsorted(self._ids[lo:hi], chunk))
        return float(self._scores[at]) if at < hi and self._ids[at] == chunk else 0.0

    def dense(self, term: str) -> np.ndarray:
        """The score of ``term`` in every chunk, as one float32 array (for checks and tools)."""
        out = np.zeros(self.n_chunks, dtype=np.float32)
        ids, scores = self.postings(term)
        out[ids] = scores
        return out


def _idf(n_chunks: int, df: int) -> float:
    return math.log(1 + (n_chunks - df + 0.5) / (df + 0.5))


def _term_scores(index: Index, query: Query) -> tuple[np.ndarray, TermScores]:
    """The straightforward computation: ``get_scores`` once per term, each a full array.

    Used where bm25s's score matrix alone is not a term's scores: BM25L and BM25+ give a
    chunk without the term a nonzero score (bm25s keeps it apart, as a "nonoccurrence"
    array), and a matrix that is not float32 would round differently.
    """
    n = len(index.chunks)
    total = np.zeros(n, dtype=np.float32)
    cols: list[np.ndarray] = []
    spans: dict[str, tuple[int, int]] = {}
    for term, weight in query.terms:
        col = np.asarray(index.bm25.get_scores([term]), dtype=np.float32)
        total += weight * col
        spans[term] = (len(cols) * n, (len(cols) + 1) * n)
        cols.append(col)
    ids = np.tile(np.arange(n, dtype=np.int64), len(cols))
    scores = np.concatenate(cols) if cols else np.zeros(0, dtype=np.float32)
    return total, TermScores(n, ids, scores, spans)


#: Postings of rare terms are gathered up to about this many and added in one ``np.add.at``:
#: a call costs microseconds of its own, which at a thousand chunks is most of the work.
#: A term with more postings is added by itself, its slice of the matrix uncopied.
_SCATTER_BATCH = 8192


def _scatter_add(total: np.ndarray, ids: list[np.ndarray], scores: list[np.ndarray]) -> None:
    """Add gathered postings to ``total`` in the order gathered, then forget them."""
    # np.add.at is about an eighth faster on native-size indices than on bm25s's int32 ones,
    # more than the conversion costs: that pays for the weights' products.
    if len(ids) == 1:
        np.add.at(total, ids[0].astype(np.intp, copy=False), scores[0])
    elif ids:
        np.add.at(total, np.concatenate(ids, dtype=np.intp), np.concatenate(scores))
    ids.clear()
    scores.clear()


def keyword_scores(index: Index, query: Query) -> tuple[np.ndarray, TermScores]:
    """Weighted BM25 score of every chunk, and each term's own scores.

    The total is exactly ``sum(weight * get_scores([term]))`` in float32, term by term in
    query order, but read from bm25s's score matrix (compressed sparse columns: one column of
    postings per vocabulary term) with scatter-adds over the terms' postings, the work one
    ``get_scores`` call for the whole query does.

    Args:
        index: The loaded index.
        query: The prepared query; its terms' weights multiply their scores.

    Returns:
        The weighted total per chunk (float32), and each term's scores as postings.
    """
    bm25 = index.bm25
    matrix = bm25.scores
    data = matrix["data"]
    if getattr(bm25, "nonoccurrence_array", None) is not None or data.dtype != np.float32:
        return _term_scores(index, query)
    indices, indptr, vocab = matrix["indices"], matrix["indptr"], bm25.vocab_dict
    n = len(index.chunks)
    total = np.zeros(n, dtype=np.float32)
    spans = {}
    # np.add.at adds strictly in array order, so postings added in query order, a batch at a
    # time, round every chunk's float32 sum exactly as the dense term-by-term sum does (a
    # float64 np.bincount would not); a chunk appears at most once per term.
    gathered_ids: list[np.ndarray] = []
    gathered: list[np.ndarray] = []
    size = 0
    for term, weight in query.terms:
        tid = vocab.get(term)
        if tid is None:
            spans[term] = (0, 0)
            continue
        lo, hi = indptr[tid : tid + 2].tolist()
        spans[term] = (lo, hi)
        # The same product as `weight * get_scores([term])` on the term's postings (numpy 2
        # casts a Python float to float32 first); 1.0 * x is x, so full-weight terms skip it.
        scores = data[lo:hi] if weight == 1.0 else weight * data[lo:hi]
        if hi - lo >= _SCATTER_BATCH:
            _scatter_add(total, gathered_ids, gathered)  # the terms before it go first
            size = 0
            _scatter_add(total, [indices[lo:hi]], [scores])
            continue
        gathered_ids.append(indices[lo:hi])
        gathered.append(scores)
        size += hi - lo
        if size >= _SCATTER_BATCH:
            _scatter_add(total, gathered_ids, gathered)
            size = 0
    _scatter_add(total, gathered_ids, gathered)
    return total, TermScores(n, indices, data, spans)


#: Above this many chunks the character index is not built (its build would stall the first
#: question for seconds); the word index carries the search alone.
CHAR_INDEX_MAX_CHUNKS = 20_000
_char_lock = threading.Lock()


def _char_index(index: Index) -> Any | None:
    """A BM25 index over the single Chinese characters of every chunk, built on first use.

    It is small and quick to build (a fraction of a second for thousands of chunks), so it is
    kept in memory with the loaded index rather than saved with it.
    """
    if index.char_bm25 is not None or len(index.chunks) > CHAR_INDEX_MAX_CHUNKS:
        return index.char_bm25
    with _char_lock:
        if index.char_bm25 is None:
            import bm25s

            from qa.index import index_text

            corpus = [
                _CJK_CHAR.findall(normalize(index_text(index.documents[c.doc_id], c)))
                for c in index.chunks
            ]
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
            index.char_bm25 = model
    return index.char_bm25


def char_scores(index: Index, query: Query) -> np.ndarray | None:
    """BM25 of the question's characters for every chunk (None when there is no char index)."""
    model = _char_index(index) if query.chars else None
    if model is None:
        return None
    chars = [c for c in query.chars if c in model.vocab_dict]
    if not chars:
        return np.zeros(len(index.chunks), dtype=np.float32)
    return np.asarray(model.get_scores(chars), dtype=np.float32)


def lexical_scores(index: Index, query: Query, fusion: Fusion) -> tuple[np.ndarray, TermScores]:
    """Word BM25 plus ``fusion.char_weight`` of character BM25, on the word scores' scale."""
    kw, per_term = keyword_scores(index, query)
    chars = char_scores(index, query) if fusion.char_weight > 0 else None
    if chars is not None:
        top, ctop = float(np.max(kw, initial=0.0)), float(np.max(chars, initial=0.0))
        if ctop > 0:
            kw = kw + (fusion.char_weight * (top if top > 0 else 1.0) / ctop) * chars
    return kw.astype(np.float32), per_term


def coverage(index: Index, query: Query, per_term: TermScores, chunks: Iterable[int]) -> float:
    """How much of what the question asks about the best of some passages has, from 0 to 1.

    Each concept of the question (a Chinese word with its parts and nearest words, an English word
    with its translations, or a Latin word nothing translates) counts with the idf of its main
    term, capped at the idf of a term found in a single passage: the rarer, the more a question
    is about it, and a word the corpus lacks altogether ("护照", "GDP", "Shanghai") counts as
    much as the rarest it has; numbers count half, and a lone character the corpus lacks not
    at all. The passage gets each concept's weight times the best share among the terms it
    contains (1 for the word itself, less for a part, a translation or a nearest word).

    On the evaluation set a passage that answers the question mostly has a third or more of it
    by this measure, while for a question about something the corpus does not contain the best
    passage matches only incidental words ("2023年北京的GDP是多少": 2023 and 年, not 北京 or
    GDP, which no passage has); :attr:`Fusion.min_coverage` is the threshold between the two.
    """
    n = len(index.chunks)
    cap = math.log(1 + (n - 0.5) / 1.5)  # idf of a term in one passage
    weights = []
    for concept in query.concepts:
        head = max(concept.terms, key=lambda ts: ts[1])[0] if concept.terms else None
        if head is None or head not in per_term:
            # Nothing translates it; a capitalised one is a name (Shanghai, FIFA, GDP) the
            # corpus does not mention, the surest sign that it is about something else.
            named = _capitalised(concept.label, query.question)
            weights.append(cap * (RELEVANCE.untranslated_name_weight if named else 1.0))
        elif (df := per_term.df(head)) == 0 and len(head) == 1:
            weights.append(0.0)  # a lone character the corpus lacks (里, 跟) says little
        elif head.isdigit():
            # A number (a year, a count) narrows a question down rather than saying what it
            # is about: "2023" alone matching does not make a passage about Beijing's GDP.
            weights.append(0.5 * min(_idf(n, df), cap))
        elif df == 0 and _CJK_WORD.fullmatch(head) and not _is_noun(head):
            # A verb or adjective the corpus lacks (延伸, 看待, 犯错) is mostly how a paraphrase
            # says something the corpus words differently; a noun it lacks (护照, 地铁, 北京)
            # is mostly something it does not contain.
            weights.append(RELEVANCE.missing_non_noun_weight * cap)
        else:
            weights.append(min(_idf(n, df), cap))
    total = sum(weights)
    if total <= 0:
        return 0.0
    best = 0.0
    for chunk in chunks:
        got = 0.0
        for concept, weight in zip(query.concepts, weights, strict=True):
            share = max(
                (s for t, s in concept.terms if t in per_term and per_term.score(t, chunk) > 0),
                default=0.0,
            )
            # The best translation of an English word counts as the word itself.
            top_share = max((s for _, s in concept.terms), default=1.0)
            got += weight * min(share / top_share if top_share > 0 else share, 1.0)
        best = max(best, got / total)
    return best


#: Units a question may count in: "多少户", "几名", "多少亿元", "多少平方公里".
_UNITS = "平方公里|公里|万元|亿元|个|户|名|人|元|万|亿|项|家|次|位|条|岁|天|倍|所|座|件|吨"
#: A question for a quantity in a unit (not "哪几个", which asks which ones, nor "第几名").
_ASKS_QUANTITY = re.compile(f"(?:多少|(?<![哪第])几)({_UNITS})")
_NUMERAL = f"[0-9{CN_NUMERALS}{CN_LARGE}]"


def _quantity_missing(question: str, chunks: list[Chunk]) -> bool:
    """Whether a question asks how many of a unit and no passage shown has such a number.

    "常州“三大一实干”活动期间共走访了多少户群众家庭" shares every word with the passages about
    the visits, so its coverage is high, but none says how many households (no "…户"): the
    corpus does not answer it. A passage that has "38个问题" keeps "提出了多少个问题" answered.
    """
    asked = _ASKS_QUANTITY.search(question)
    if asked is None or not chunks:
        return False
    number = re.compile(f"{_NUMERAL}+(?:\\.[0-9]+)?{asked.group(1)}")
    return not any(number.search(normalize(c.text)) for c in chunks)


def _capitalised(word: str, question: str) -> bool:
    found = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", question, re.IGNORECASE)
    return found is not None and found.group()[0].isupper()


def _is_noun(word: str) -> bool:
    """Whether jieba's dictionary tags a word as a noun (common, place, person, organisation).

    A word it does not know counts as a noun: new words are mostly names.
    """
    from jieba import posseg  # loads the tag table once (a fraction of a second)

    tag = posseg.dt.word_tag_tab.get(word)
    return tag is None or tag.startswith("n")


#: Nearest chunks an HNSW index is asked for; the rest get the lowest of their scores.
_HNSW_CANDIDATES = 200


def dense_scores(index: Index, embedder: Embedder, query: Query) -> np.ndarray:
    """Cosine similarity of every chunk to the question: of its nearest sentence window.

    Small indexes multiply all the embeddings (exact, and cheap below HNSW_MIN_CHUNKS). An
    HNSW index (large corpora) scores only its nearest candidates; every other chunk gets the
    lowest candidate score, which bounds its own from above, so the top of the ranking is kept.
    """
    # In Simplified script, as the passages were embedded (qa.index.build_index).
    qvec = embedder.encode_queries([query.normalized])
    # A chunk scores as its best sentence window (qa.index.dense_texts).
    if index.manifest.hnsw:
        k = min(_HNSW_CANDIDATES, index.dense.ntotal)
        sims, ids = index.dense.search(np.ascontiguousarray(qvec[:1], dtype=np.float32), k)
        found = ids[0] >= 0
        floor = float(sims[0][found].min()) if found.any() else 0.0
        out = np.full(len(index.chunks), floor, dtype=np.float32)
        np.maximum.at(out, index.dense_chunk[ids[0][found]], sims[0][found])
        return out
    rows = (index.embeddings @ qvec[0]).astype(np.float32)
    return np.maximum.reduceat(rows, index.dense_starts)


def _ranks(scores: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each item by descending score; items not present get rank inf."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    if present is not None:
        ranks[~present] = np.inf
    return ranks


def _rrf(ranks: np.ndarray) -> np.ndarray:
    return 1.0 / (_RRF_K + ranks)


Strategy = Callable[[np.ndarray, np.ndarray | None, Fusion], np.ndarray]


def keyword_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Rank by BM25 alone (dense only breaks ties when present)."""
    if dense is None:
        return kw.astype(np.float64)
    return kw + 1e-6 * dense


def semantic_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Rank by embedding similarity alone."""
    if dense is None:
        raise QuestionError("semantic search needs the embedding model, which is not loaded")
    return dense.astype(np.float64)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x, dtype=np.float64)


def hybrid_strategy(kw: np.ndarray, dense: np.ndarray | None, fusion: Fusion) -> np.ndarray:
    """Fuse the keyword and dense results, by normalised scores or by ranks."""
    if fusion.method == "rrf":
        fused = fusion.keyword_weight * _rrf(_ranks(kw, kw > 0))
        if dense is not None:
            fused = fused + fusion.dense_weight * _rrf(_ranks(dense))
        return fused
    top = float(np.max(kw)) if len(kw) else 0.0
    fused = fusion.keyword_weight * (kw / top if top > 0 else np.zeros_like(kw))
    if dense is not None:
        fused = fused + fusion.dense_weight * _minmax(dense)
    return fused.astype(np.float64)


def _top(scores: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` highest scores, best first, ties by position.

    A partial selection first: a full sort of every chunk's score costs milliseconds at 100k
    chunks, for the few dozen that are looked at.
    """
    m = min(m, len(scores))
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    if m < len(scores):
        cand = np.argpartition(-scores, m - 1)[:m]
        # Scores equal to the m-th may lie outside cand; take all of them for stable ties.
        cut = scores[cand].min()
        cand = np.flatnonzero(scores >= cut)
    else:
        cand = np.arange(len(scores))
    order = cand[np.lexsort((cand, -scores[cand]))]
    return order[:m]


def _diversify(chunks: list[Chunk], final: np.ndarray, k: int, penalty: float) -> np.ndarray:
    """The k best passages, each passage that overlaps or adjoins a better one demoted.

    Greedy, as in maximal marginal relevance: the best remaining passage is taken; one whose
    span touches a taken passage of the same document (overlapping sentence or adjacent)
    competes with ``(1 - penalty)`` of its score.
    """
    order = _top(final, 4 * k + 10)
    if penalty <= 0 or k <= 1:
        return order[:k]
    pool = [int(i) for i in order]
    taken: list[int] = []
    while pool and len(taken) < k:

        def eff(i: int) -> float:
            c = chunks[i]
            near = any(
                chunks[j].doc_id == c.doc_id
                and c.start <= chunks[j].end + 1
                and chunks[j].start <= c.end + 1
                for j in taken
            )
            return float(final[i]) * (1 - penalty) if near else float(final[i])

        best = max(pool, key=eff)
        taken.append(best)
        pool.remove(best)
    return np.asarray(taken, dtype=np.int64)


STRATEGIES: dict[str, Strategy] = {
    "hybrid": hybrid_strategy,
    "keyword": keyword_strategy,
    "semantic": semantic_strategy,
}


def search(
    index: Index,
    question: str,
    *,
    embedder: Embedder | None = None,
    k: int = 5,
    mode: str = "hybrid",
    fusion: Fusion | None = None,
    max_chars: int = 2000,
    translate: bool = True,
    without: frozenset[str] = frozenset(),
) -> SearchResult:
    """Find the best passages for a question.

    Args:
        index: The loaded index.
        question: The question, in any script or English.
        embedder: The model the index was built with; needed for semantic and hybrid modes.
        k: How many passages to return.
        mode: "hybrid", "keyword" or "semantic".
        fusion: Fusion weights; by default those chosen for the index's model.
        max_chars: Longer questions are cut.
        translate: Turn English and pinyin words into Chinese terms (the lexicon step).
        without: Names of :data:`WIDENING_STAGES` to leave out (for measurement).

    Returns:
        The hits, best first, with the terms searched for and whether the match is weak.

    Raises:
        QuestionError: Empty question, unknown mode, or nothing to search for.
    """
    if mode not in STRATEGIES:
        raise QuestionError(f"unknown search mode {mode!r}; choose one of {sorted(STRATEGIES)}")
    unknown = set(without) - set(WIDENING_STAGES)
    if unknown:
        raise QuestionError(f"unknown widening stage(s) {sorted(unknown)}")
    query = prepare_query(question, index, max_chars, translate, without=frozenset(without))
    fusion = fusion or fusion_for(index.model)
    kw, per_term = lexical_scores(index, query, fusion)
    dense = (
        dense_scores(index, embedder, query) if embedder is not None and mode != "keyword" else None
    )
    final = STRATEGIES[mode](kw, dense, fusion)
    k = max(1, min(k, len(index.chunks)))
    top = _diversify(index.chunks, final, k, fusion.diversity)
    if dense is None:
        top = top[kw[top] > 0]  # without a dense ranking, a passage no term matched is no hit

    hits = []
    for rank, i in enumerate(top, start=1):
        matched = tuple(t for t, _ in query.terms if per_term.score(t, int(i)) > 0)
        hits.append(
            Hit(
                chunk=index.chunks[int(i)],
                score=float(final[i]),
                rank=rank,
                keyword_score=float(kw[i]),
                dense_score=float(dense[i]) if dense is not None else 0.0,
                terms=matched,
            )
        )
    # Weak: the best passages (the top three shown and the best by keywords) cover too little
    # of the question, or no query word occurs anywhere.
    best_kw = int(np.argmax(kw)) if len(kw) else 0
    covered = coverage(index, query, per_term, {best_kw, *(int(i) for i in top[:3])})
    matched_any = any(per_term.max(t) > 0 for t in per_term)
    weak = (
        covered < fusion.min_coverage
        or not matched_any
        or _quantity_missing(query.normalized, [index.chunks[int(i)] for i in top[:3]])
    )
    return SearchResult(
        question=query.question,
        hits=hits,
        terms=tuple(t for t, _ in query.terms),
        mode=mode,
        weak=weak,
        coverage=round(covered, 3),
    )
