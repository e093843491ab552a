"""The tuned weights of each stage, with where they were measured.

One frozen dataclass per stage, and the one instance the stage reads. Each comment names the
section of ``docs/retrieval.md`` that measured the value, or says that none did; change a
value only with a new ``qa eval`` run, and record it there.

This module imports nothing of ``qa``: every stage may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- search: fusion


@dataclass(frozen=True)
class Fusion:
    """How keyword and dense rankings are combined in hybrid mode."""

    keyword_weight: float = 1.0
    dense_weight: float = 0.2
    #: "score": weighted sum of min-max normalised scores, which keeps how far apart the
    #: keyword scores are; "rrf": weighted reciprocal-rank fusion, which keeps only the order.
    method: str = "score"
    #: Below this coverage (see :func:`qa.search.relevance.coverage`) of the question by the best
    #: passages, nothing relevant was found; calibrated with ``qa eval``: docs/retrieval.md,
    #: "When nothing relevant was found".
    min_coverage: float = 0.34
    #: Weight of single-character BM25 relative to word BM25 (both scaled to their best
    #: passage): a second lexical signal for paraphrases, which share characters (福利/福祉,
    #: 几级/四级) more often than words. docs/retrieval.md, "Scores".
    char_weight: float = 0.2
    #: A passage that overlaps or adjoins a better-ranked passage of the same document has
    #: its score multiplied by ``1 - diversity`` before it takes a place in the top k, so the
    #: places go to distinct passages (chunks share a sentence with their neighbours).
    #: docs/retrieval.md, "Distinct passages in the top k".
    diversity: float = 0.0
    #: The same in semantic mode; None: as :attr:`diversity`. docs/retrieval.md, "Semantic
    #: mode: overlapping passages kept".
    semantic_diversity: float | None = None
    #: A passage this near the question (cosine, its nearest sentence window, to the question
    #: or its rendering in corpus words) is relevant even where the question's words are
    #: covered too little: a paraphrase or an English question in words the lexicon does not
    #: translate. None: the model's similarities say nothing of relevance (not measured).
    #: docs/retrieval.md, "Near enough by meaning".
    near_similarity: float | None = None
    #: In semantic mode, the passages of a document that names a place or person the question
    #: names (:func:`qa.query.question.proper_names`) gain this much cosine: a sentence vector
    #: carries a name's weight poorly, so the other city's passages crowd the top five.
    #: docs/retrieval.md, "Semantic mode: the document a question names".
    named_document: float = 0.0


#: Fusion weights per embedding model, chosen by measurement with ``qa eval``. A model that
#: does not know Chinese is trusted little; a multilingual one more. USE: docs/retrieval.md,
#: "A multilingual embedder" (dense weight 0.1-0.5 and diversity 0-0.15 measured; 0.5 with
#: 0.15 is the one point at or above MiniLM's R@1 and R@5 on every set). e5-small was measured
#: at USE's weights only. MiniLM: docs/retrieval.md, "Scores".
FUSION_BY_MODEL: dict[str, Fusion] = {
    "use-multilingual": Fusion(
        1.0,
        0.5,
        diversity=0.15,
        near_similarity=0.45,
        named_document=0.1,
        semantic_diversity=0.0,
    ),
    "e5-small": Fusion(1.0, 0.5, diversity=0.15),
    "st:sentence-transformers/all-MiniLM-L6-v2": Fusion(1.0, 0.05, diversity=0.15),
}
#: For a model that names itself multilingual or Chinese; not measured (docs/retrieval.md,
#: "Scores": re-measure with ``qa eval --model …``).
MULTILINGUAL_FUSION = Fusion(1.0, 1.0)

# --------------------------------------------------------------------------- search: the query


@dataclass(frozen=True)
class Widening:
    """How much the words a question is widened with weigh."""

    #: Near-synonyms from word vectors: a corpus word joins a question word's search when its
    #: cosine similarity reaches ``neighbour_threshold``, at most ``max_neighbours`` per word,
    #: each weighted by ``neighbour_weight`` times its similarity. docs/retrieval.md,
    #: "Near-synonyms from word vectors": on the tuning set R@5 0.918 → 0.929 and R@1
    #: 0.635 → 0.671 over a plateau of weight 0.35-0.5, threshold 0.55-0.6 and 2-5 words; then
    #: once on the held-out set, R@5 0.890 → 0.904 (paraphrases 0.615 → 0.692).
    neighbour_weight: float = 0.4
    neighbour_threshold: float = 0.6
    max_neighbours: int = 3
    #: The translations of one English word or phrase share its weight: the best one's, plus
    #: this share of it per extra alternative. docs/retrieval.md, "The query".
    span_alternative_bonus: float = 0.25
    #: A corpus word spelled by two or three adjacent English words, part by part ("two
    #: checks" → 二查), is searched at this weight. docs/retrieval.md, "The query" (0.4 and 0.6
    #: measured too).
    compound_weight: float = 0.8


WIDENING = Widening()

# --------------------------------------------------------------------------- search: relevance


@dataclass(frozen=True)
class Relevance:
    """The weak-answer check's weights (:func:`qa.search.relevance.coverage`)."""

    #: Share of a rare word's weight for a Chinese word that is not a noun and that the corpus
    #: lacks. docs/retrieval.md, "When nothing relevant was found".
    missing_non_noun_weight: float = 0.5
    #: Weight, in rare-word caps, of a capitalised English word that nothing translates.
    #: docs/retrieval.md, "When nothing relevant was found".
    untranslated_name_weight: float = 2.0


RELEVANCE = Relevance()

# --------------------------------------------------------------------------- answer


@dataclass(frozen=True)
class Composing:
    """How the answer's sentences are chosen (:func:`qa.answer.compose.compose_answer`).

    Set with the answer tests, except where a field names the docs/retrieval.md section
    that measured it.
    """

    #: A sentence scoring less than this share of the best one is left out.
    relative_floor: float = 0.45
    #: Terms the question puts in quotes (“不准”, 「七项机制」) name what it is about.
    quoted_boost: float = 3.0
    #: Weight of a term by its length in characters (0 to 4 and more): a one-character term
    #: (上, 来, 四) matches inside unrelated words; longer terms are words.
    length_weight: tuple[float, ...] = (0.0, 0.3, 1.0, 1.3, 1.6)
    #: An interview's question (问:…?) is quoted only for a question asking for a time,
    #: person, place or number, when it carries one, with its score times this.
    #: docs/retrieval.md, "Answers: an interviewer's question that carries the span".
    interviewer_question: float = 0.5


COMPOSING = Composing()


@dataclass(frozen=True)
class Lists:
    """How the list that answers a question is chosen among those near the passages.

    Set with the answer tests, except where a field names the docs/retrieval.md section
    that measured it.
    """

    #: A list whose label, lead or items name what the question counts ("阶段") weighs this
    #: much more.
    noun_boost: float = 2.0
    #: A list must match at least this share of the query weight the passages match.
    min_share: float = 0.25
    #: A list near the passages but in none of them weighs this much less.
    outside_factor: float = 0.4
    #: A list of another document than the best passage's weighs this much less.
    #: docs/retrieval.md, "Lists: the best passage's document first" (0.7 / 0.5 / 0.3 measured).
    other_document_factor: float = 0.5
    #: A plain 、-series is everywhere in this prose; a numbered list is meant as a list.
    series_prior: float = 0.7
    quoted_series_prior: float = 0.8


LISTS = Lists()


# --------------------------------------------------------------------------- translation tables


@dataclass(frozen=True)
class LexiconWeights:
    """How the translation tables weigh a corpus word as the rendering of an English gloss, a
    pinyin spelling or a number word (:mod:`qa.query.translate.build`).

    No section of docs/retrieval.md measures them one by one: they were set while building the
    English and pinyin search ("English and pinyin questions" in docs/retrieval.md measures the
    tables as a whole), and the golden file of the seeds' tables
    (tests/golden/lexicon-seeds.json.gz) holds what they give.
    """

    #: A gloss read whole ("work style") and its head before a comma ("style, manner" →
    #: "style"); a proper name's head counts as the whole.
    gloss_whole: float = 1.0
    gloss_head: float = 0.85
    #: One side of an "and" / "or" inside a gloss ("party and government" → "party").
    gloss_conjunct: float = 0.75
    #: "X of Y" read as "Y X" ("leader of the party" → "party leader"), times the reading's own.
    gloss_of_swap: float = 0.9
    #: One content word of a two- to four-word gloss, divided by the root of their number.
    gloss_word: float = 0.5
    #: Rare corpus words are more specific, but common ones are still right: the document
    #: frequency factor runs from ``df_floor`` (commonest) to ``df_floor + df_share`` (rarest).
    df_floor: float = 0.75
    df_share: float = 0.25
    #: One character is usually a bound morpheme or a function word in running text.
    one_char: float = 0.8
    #: Each sense of a word makes any one of them this much less likely (1 / (1 + k·n)).
    per_sense: float = 0.02
    #: Earlier senses are the main meanings: each later one loses ``sense_step``, down to
    #: ``sense_floor``.
    sense_step: float = 0.08
    sense_floor: float = 0.6
    #: The glossary of official renderings: its first Chinese term, and what each next one loses.
    glossary_first: float = 0.95
    glossary_step: float = 0.05
    #: A pinyin spelling of a corpus word by its length in characters (one, two, more); a
    #: proper name of two characters or more counts as 1.
    pinyin_by_length: tuple[float, float, float] = (0.3, 0.85, 0.95)
    #: Number words: "one" is mostly grammar in English ("one of the", "number one"), so its
    #: numeral is faint; other numerals, 两 for two, the two commonest list compounds (五个).
    number_one: float = 0.3
    number: float = 0.5
    number_liang: float = 0.45
    number_listing: float = 0.35
    #: 第N for "the Nth", N是 (一是…), N次 for "N times", and numeral + classifier words
    #: when the English names the classifier.
    ordinal_di: float = 0.75
    ordinal_shi: float = 0.5
    times: float = 0.8
    classifier: float = 0.9


LEXICON_WEIGHTS = LexiconWeights()
