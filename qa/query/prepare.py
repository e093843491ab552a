"""The search query: a question's concepts, each with its weighted terms, widened by
translation (English, pinyin) and by near-synonyms from word vectors."""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QuestionError
from qa.ingest.textnorm import normalize
from qa.query.translate import content_words, lexicon_of
from qa.store.index import Index
from qa.text import HAN_BMP, HAN_BMP_CHAR
from qa.tuning import WIDENING

if TYPE_CHECKING:  # numpy-heavy, loaded when first used
    from qa.query.wordvec import Neighbours

logger = logging.getLogger(__name__)


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
    widened: tuple[str, ...] = ()  # the terms widening added (near-synonyms), not asked for
    #: The question with each translated English or pinyin span replaced by its best corpus
    #: word ("five phases in Zhucheng" → "五 阶段 in 诸城"), embedded beside it; "" when
    #: nothing was translated.
    rendered: str = ""


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
    lexicon = lexicon_of(index)
    concepts = [Concept(h, ((h, 1.0), *parts[h])) for h in heads]
    concepts += [Concept(t, ((t, 1.0),)) for t in dict.fromkeys(known_latin)]
    translated: list[str] = []
    rendered = ""
    if translate and lexicon is not None:
        by_origin: dict[str, list[tuple[str, float]]] = {}
        # One entry per term, from its best span.
        off = {src for stage in without for src in _STAGE_SOURCES.get(stage, ())}
        for qt in lexicon.translate(normalized, index.bm25.vocab_dict):
            if qt.source in off:
                continue
            by_origin.setdefault(qt.origin.lower(), []).append((qt.term, qt.weight))
        if "rendering" not in without:
            # Each span by its best translation (render_spans matches spans case-blind).
            best = {o: max(alts, key=lambda tw: tw[1])[0] for o, alts in by_origin.items()}
            rendered = render_spans(normalized, best)
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
    asked = set(weights)
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
        tuple(t for t in weights if t not in asked),
        rendered,
    )


def _literal(word: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: word


def render_spans(text: str, spans: dict[str, str]) -> str:
    """``text`` with each span replaced by its word, longest span first; "" if none was.

    A sentence vector of "What are the five phases in Zhucheng?" knows little of 诸城; with
    the spans in corpus words it lies near the passage (``docs/retrieval.md``, "The question
    in corpus words").
    """
    out = text
    for origin in sorted(spans, key=len, reverse=True):
        # Replaced by a function, so that a backslash in the word is no group reference.
        out = re.sub(re.escape(origin), _literal(spans[origin]), out, flags=re.IGNORECASE)
    return out if out != text else ""


_CJK_CHAR = HAN_BMP_CHAR

_CJK_WORD = re.compile(f"[{HAN_BMP}]{{2,4}}")

_neighbours_lock = threading.Lock()
#: Each loaded index's nearest-word table, or None when the word vectors are not installed;
#: dropped with the index.
_NEIGHBOURS: weakref.WeakKeyDictionary[Index, Neighbours | None] = weakref.WeakKeyDictionary()


def attach_neighbours(index: Index, cache_dir: Path) -> None:
    """Give an index its nearest-word table (:class:`qa.query.wordvec.Neighbours`), once.

    Args:
        index: A loaded index.
        cache_dir: Where the converted word vectors are kept (``Settings.cache_dir``).
    """
    from qa.query import wordvec

    with _neighbours_lock:
        if index not in _NEIGHBOURS:
            vectors = wordvec.load_word_vectors(cache_dir)
            _NEIGHBOURS[index] = (
                wordvec.Neighbours(vectors, _content_words(index.bm25.vocab_dict))
                if vectors
                else None
            )


def neighbours_for(index: Index) -> Neighbours | None:
    """The index's nearest-word table; made with the default cache folder if the service
    did not attach one. None when the word vectors are not installed."""
    if index not in _NEIGHBOURS:
        from qa.settings import default_cache_dir

        attach_neighbours(index, default_cache_dir())
    return _NEIGHBOURS.get(index)


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
