"""The translation tables on the query path: :class:`Lexicon` turns the Latin-script parts
of a question into corpus words, with weights."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import product
from typing import TYPE_CHECKING

from qa.query.translate.english import (
    _CARDINALS,
    _CLASSIFIER_NOUNS,
    _COMPOUND_GAP,
    _CONSUMED_CLASSIFIERS,
    _CONTRACTIONS,
    _JOINING_GAP,
    _MULTIPLICATIVES,
    _ORDINALS,
    _SEG_STRIDE,
    _SUFFIXES,
    _TOKEN,
    STOPWORDS,
    _Cands,
    _derivations,
    _fold,
    _inflections,
    _lemma,
    _number_of,
    _numeral,
)
from qa.query.translate.pinyin import _segment_pinyin, _Tok
from qa.tuning import WIDENING

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from qa.store.index import Index

#: Bumped whenever the layout of :meth:`Lexicon.to_dict` changes.
FORMAT_VERSION = 2

SOURCES = ("english", "pinyin", "number", "phrase")

#: At most this many terms come from one English word, phrase or pinyin syllable group, so a
#: vague word ("work", "make") cannot flood the query.
MAX_TERMS_PER_SPAN = 3
#: Candidates much weaker than the best one for the same span are noise, not alternatives.
RELATIVE_FLOOR = 0.5
#: Below this a match is a guess that would only add noise to the search.
ABSOLUTE_FLOOR = 0.15
#: Longest English n-gram matched against glosses.
MAX_NGRAM = 4
#: Terms kept per key in the saved lexicon (a little more than the query-time cap so the
#: relative floor has something to compare against).
_STORED_PER_KEY = 5
#: A corpus word spelled by two or three adjacent English words, part by part ("two checks"
#: → 二查, "happiness tree" → 幸福树, "four people" → 四民): at most this many per span, and
#: how many senses of a one-character entry give its English words (see
#: :meth:`Lexicon._compound_terms`; their weight is :attr:`qa.tuning.Widening.compound_weight`).
MAX_COMPOUNDS = 3
_MORPHEME_SENSES = 4
_MORPHEME_FACTOR = 0.5
_MAX_COMPOUND_CHARS = 5
_MAX_MORPHEMES = 8
#: Results of past builds kept in the cache folder at most, per kind (see :class:`_Memo`):


@dataclass(frozen=True)
class QueryTerm:
    """One Chinese search term derived from a Latin-script part of a question.

    Attributes:
        term: Simplified Chinese word that occurs in the corpus vocabulary.
        weight: How specific and trustworthy the match is, in ``(0, 1]``.
        source: ``"english"``, ``"pinyin"``, ``"number"`` or ``"phrase"``.
        origin: The span of the question the term came from, e.g. ``"work style"``.
    """

    term: str
    weight: float
    source: str
    origin: str




class Lexicon:
    """Maps English words, phrases, pinyin and numbers to corpus words, with weights.

    Build one with :func:`~qa.query.translate.build.build_lexicon` at index time, save
    :meth:`to_dict` next to the index, and load it with :meth:`from_dict` on the query path.
    """

    __slots__ = (
        "_phrases",
        "_partial",
        "_pinyin",
        "_english",
        "_foreign",
        "_numbers",
        "_syllable_set",
        "_known",
        "_key_syllables",
        "_max_pinyin",
        "_max_ngram",
        "_morphemes",
    )

    def __init__(
        self,
        phrases: Mapping[str, _Cands],
        partial: Mapping[str, _Cands],
        pinyin: Mapping[str, _Cands],
        english: Iterable[str],
        foreign: Iterable[str],
        numbers: Mapping[str, Mapping[str, _Cands]],
        syllables: Iterable[str] = (),
        morphemes: Mapping[str, _Cands] | None = None,
    ) -> None:
        """Create a lexicon from its tables; use :func:`~qa.query.translate.build.build_lexicon`
        or :meth:`from_dict` instead."""
        self._phrases = dict(phrases)
        self._partial = dict(partial)
        self._pinyin = dict(pinyin)
        self._english = frozenset(english)
        self._foreign = frozenset(foreign)
        self._numbers = {k: dict(v) for k, v in numbers.items()}
        self._syllable_set = frozenset(syllables)
        self._morphemes = dict(morphemes or {})
        # Every word of every gloss key is English, whatever it looks like in pinyin.
        known: set[str] = set(self._partial) | set(self._morphemes)
        for key in self._phrases:
            known.update(key.split())
        self._known = frozenset(known)
        self._key_syllables = {k: min(len(t) for t, _ in v) for k, v in self._pinyin.items() if v}
        self._max_pinyin = max(map(len, self._pinyin), default=0)
        self._max_ngram = max((k.count(" ") + 1 for k in self._phrases), default=1)

    def __repr__(self) -> str:
        return (
            f"Lexicon(phrases={len(self._phrases)}, partial={len(self._partial)}, "
            f"pinyin={len(self._pinyin)}, numbers={len(self._numbers)}, "
            f"morphemes={len(self._morphemes)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lexicon):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    # Lexicons compare by content, so they are not hashable. typeshed declares
    # object.__hash__ a method, and mypy will not take None for it.
    __hash__ = None  # type: ignore[assignment]

    # ----- persistence --------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Return a JSON-serialisable form of the lexicon, to save with the index.

        Returns:
            A dict of plain lists, strings and numbers; see :meth:`from_dict`.
        """

        def table(t: Mapping[str, _Cands]) -> dict[str, list[list[object]]]:
            return {k: [[term, w] for term, w in v] for k, v in sorted(t.items())}

        return {
            "version": FORMAT_VERSION,
            "phrases": table(self._phrases),
            "partial": table(self._partial),
            "pinyin": table(self._pinyin),
            "english": sorted(self._english),
            "foreign": sorted(self._foreign),
            "numbers": {k: table(v) for k, v in sorted(self._numbers.items())},
            "syllables": sorted(self._syllable_set),
            "morphemes": table(self._morphemes),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Lexicon:
        """Load a lexicon saved with :meth:`to_dict`.

        Args:
            data: The dict, typically read back from JSON.

        Returns:
            The lexicon.

        Raises:
            ValueError: If the dict has another format version or misses a table.
        """
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"lexicon format {data.get('version')!r} is not {FORMAT_VERSION}; rebuild it"
            )

        def table(t: Mapping[str, list[list[str | float]]]) -> dict[str, _Cands]:
            return {k: tuple((str(term), float(w)) for term, w in v) for k, v in t.items()}

        try:
            return cls(
                table(data["phrases"]),
                table(data["partial"]),
                table(data["pinyin"]),
                data["english"],
                data["foreign"],
                {k: table(v) for k, v in data["numbers"].items()},
                data["syllables"],
                table(data.get("morphemes", {})),  # lexicons built before compounds had none
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"lexicon dict is malformed: {exc}") from exc

    # ----- querying -----------------------------------------------------------------------

    def translate(self, question: str, vocab: Container[str] | None = None) -> list[QueryTerm]:
        """Translate the Latin-script parts of a question into corpus words.

        Chinese characters in the question are ignored (the caller tokenises them).

        Args:
            question: The user's question, e.g. ``"what are the five phases in Zhucheng"``.
            vocab: The corpus's words; when given, adjacent English words may also spell one
                of them part by part (see :meth:`_compound_terms`).

        Returns:
            Query terms, best first, one per distinct term.
        """
        toks = self._tokens(question)
        if not toks:
            return []
        kinds = [self._kind(tok) for tok in toks]
        found: list[QueryTerm] = []
        as_pinyin: set[int] = set()  # "maybe" tokens that were read as part of a pinyin word
        run: list[int] = []

        def flush_run() -> None:
            if any(kinds[k] == "pinyin" for k in run):
                optional = frozenset(p for p, k in enumerate(run) if kinds[k] == "maybe")
                terms, used = self._pinyin_terms(question, [toks[k] for k in run], optional)
                found.extend(terms)
                as_pinyin.update(run[p] for p in used)
            run.clear()

        for k, tok in enumerate(toks):
            if run and tok.seg != toks[run[-1]].seg:
                flush_run()
            if kinds[k] == "english":
                flush_run()
            else:
                # An English word that is also pinyin ("dang yuan", "Xi An") joins a pinyin
                # neighbour when together they spell a corpus word, and is otherwise English.
                run.append(k)
        flush_run()

        english: list[_Tok] = []
        breaks = 0  # pinyin between two English words keeps them from forming a phrase
        for k, tok in enumerate(toks):
            if kinds[k] == "pinyin" or k in as_pinyin:
                breaks += 1
            else:
                english.append(replace(tok, seg=tok.seg + breaks * _SEG_STRIDE) if breaks else tok)
        consumed: set[int] = set()
        found.extend(self._english_terms(question, english, consumed))
        if vocab is not None:
            found.extend(self._compound_terms(question, english, consumed, vocab))
        return _merge(found)

    def _tokens(self, question: str) -> list[_Tok]:
        toks: list[_Tok] = []
        seg = 0
        prev_end = 0
        raw = list(_TOKEN.finditer(question))
        skip_next = False
        for idx, m in enumerate(raw):
            if skip_next:
                skip_next = False
                prev_end = m.end()
                continue
            text = m.group()
            if toks and not _JOINING_GAP.fullmatch(question, prev_end, m.start()):
                seg += 1
            if text.isdigit():
                if toks and m.start() == toks[-1].end and text in "12345" and len(text) == 1:
                    # A tone number (zuo4feng1), not a count.
                    prev_end = m.end()
                    continue
                end = m.end()
                nxt = raw[idx + 1] if idx + 1 < len(raw) else None
                if nxt is not None and nxt.start() == end and nxt.group().lower() in _SUFFIXES:
                    text, end, skip_next = text + nxt.group().lower(), nxt.end(), True  # 1st
                toks.append(_Tok(m.start(), end, text, False, seg))
                prev_end = end
                continue
            folded = _fold(text).lower()
            nxt = raw[idx + 1] if idx + 1 < len(raw) else None
            if (
                nxt is not None
                and question[m.end() : nxt.start()] in ("'", "’")
                and nxt.group().lower() in _CONTRACTIONS
            ):
                skip_next = True  # party's, don't: the suffix is grammar
            toks.append(_Tok(m.start(), m.end(), folded, text[:1].isupper(), seg))
            prev_end = m.end()
        return toks

    def _kind(self, tok: _Tok) -> str:
        """Classify a token: "english", "maybe" (English but pinyin-looking) or "pinyin"."""
        word = tok.text
        if word[:1].isdigit() or word in _CARDINALS or word in _ORDINALS:
            return "english"
        if word in _MULTIPLICATIVES:
            return "english"
        if word in STOPWORDS or word in self._english:
            return "maybe"
        if any(f in self._known for f in _inflections(word)) or any(
            f in self._known for f in _derivations(_lemma(word))
        ):
            # "yuan", "sun": English first, but "dang yuan" and "Sun Yaocan" are pinyin.
            return "maybe" if word in self._pinyin or word in self._syllable_set else "english"
        return "pinyin"

    def _pinyin_terms(
        self, question: str, run: list[_Tok], optional: frozenset[int]
    ) -> tuple[list[QueryTerm], set[int]]:
        """Read a run of tokens as pinyin; return the terms and the run positions used."""
        pieces = _segment_pinyin(
            run, self._pinyin, self._key_syllables, self._max_pinyin, self._foreign, optional
        )
        # Map positions in the concatenated text back to the question for the origin.
        starts: list[int] = []
        ends: list[int] = []
        for t in run:
            span = t.end - t.start
            for p in range(len(t.text)):
                # Folding keeps one letter per letter except tone digits, which were dropped.
                starts.append(t.start + min(p, span - 1))
                ends.append(t.start + min(p + 1, span))
            ends[-1] = t.end
        owner = [p for p, t in enumerate(run) for _ in t.text]
        out: list[QueryTerm] = []
        used: set[int] = set()
        for i, j, key in pieces:
            end = ends[j - 1]
            if question[end : end + 1] in ("1", "2", "3", "4", "5"):
                end += 1  # keep the tone number in the origin: "feng1", not "feng"
            origin = question[starts[i] : end]
            used.update(owner[i:j])
            for term, w in _best(self._pinyin[key]):
                out.append(QueryTerm(term, w, "pinyin", origin))
            covered = sorted(set(owner[i:j]))
            if len(covered) > 1:
                # "dangyuan ganbu" is 党员干部, but the user also typed 党员 and 干部.
                for p in covered:
                    word = run[p].text
                    if self._key_syllables.get(word, 0) >= 2:
                        top, w = self._pinyin[word][0]
                        part = question[run[p].start : run[p].end]
                        out.append(QueryTerm(top, round(w * 0.8, 3), "pinyin", part))
        return out, used

    def _english_terms(
        self, question: str, toks: list[_Tok], consumed: set[int]
    ) -> list[QueryTerm]:
        """Terms for English words; ``consumed`` gets the tokens read as part of a phrase."""
        out: list[QueryTerm] = []
        lemmas = [_lemma(t.text) for t in toks]
        i = 0
        while i < len(toks):
            tok, word = toks[i], toks[i].text
            # Phrases first: "number one" is 一把手, "first secretary" a title.
            matched = self._phrase_at(question, toks, lemmas, i, out)
            if matched:
                consumed.update(range(i, i + matched))
                i += matched
                continue
            number = _number_of(word)
            if number is not None:
                end = self._number_terms(question, toks, i, number, out)
                if end > i + 1:  # "six kinds of": the noun named the classifier
                    consumed.update(range(i, end))
                i = end
                continue
            if word in STOPWORDS:
                i += 1
                continue
            cands = self._word_candidates(word)
            if cands:
                origin = question[tok.start : tok.end]
                out.extend(QueryTerm(t, w, "english", origin) for t, w in _best(cands.items()))
            else:
                logger.debug("No Chinese term for %r", word)
            i += 1
        return out

    def _compound_terms(
        self, question: str, toks: list[_Tok], consumed: set[int], vocab: Container[str]
    ) -> list[QueryTerm]:
        """Corpus words that two or three adjacent English words spell part by part.

        Chinese coins words by putting morphemes together, and an English question names them
        word by word: "two checks, three visits" is 二查三访, "the happiness tree" 幸福树, "three
        togethers, four people" 三同四民. No dictionary has such coinages, but each part
        translates: a number into its numeral, a word into a corpus word of one or two
        characters or into a character whose one-character entry it glosses (check → 查,
        visit → 访, tree → 树). Every way of joining the parts' translations in order that is a
        corpus word, and not already one part's own translation, becomes a term. Tokens read as
        a dictionary phrase are left out ("working groups" is 工作组, not 干 + 群).
        """
        options: list[dict[str, float] | None] = []
        for k, tok in enumerate(toks):
            if k in consumed:
                options.append(None)
                continue
            number = _number_of(tok.text)
            if number is not None:
                # "the three years" may be 三个年: the numeral with or without its classifier.
                numeral = _numeral(number[0])
                card = {numeral: 1.0, numeral + "个": 0.9}
                options.append(card if number[1] == "card" else None)
                continue
            if tok.text in STOPWORDS:
                options.append(None)
                continue
            opts = {t: w for t, w in self._word_candidates(tok.text).items() if len(t) <= 2}
            for form in _inflections(tok.text):
                if form in self._morphemes:
                    for char, w in self._morphemes[form]:
                        opts[char] = max(opts.get(char, 0.0), w * _MORPHEME_FACTOR)
                    break
            options.append(opts or None)
        out: list[QueryTerm] = []
        for n in (3, 2):
            for i in range(len(toks) - n + 1):
                span = range(i, i + n)
                if any(options[k] is None for k in span) or not all(
                    _COMPOUND_GAP.fullmatch(question, toks[k].end, toks[k + 1].start)
                    for k in span[:-1]
                ):
                    continue
                parts = [options[k] or {} for k in span]
                found: dict[str, float] = {}
                for combo in product(*(p.items() for p in parts)):
                    word = "".join(t for t, _ in combo)
                    if len(word) <= _MAX_COMPOUND_CHARS and word in vocab:
                        score = min(w for _, w in combo)
                        found[word] = max(found.get(word, 0.0), score)
                found = {w: sc for w, sc in found.items() if not any(w in p for p in parts)}
                best = sorted(found, key=lambda w: (-found[w], w))[:MAX_COMPOUNDS]
                origin = question[toks[i].start : toks[i + n - 1].end]
                out.extend(QueryTerm(w, WIDENING.compound_weight, "compound", origin) for w in best)
        return out

    def _word_candidates(self, word: str) -> dict[str, float]:
        cands: dict[str, float] = {}

        def collect(form: str, factor: float) -> None:
            for table in (self._phrases, self._partial):
                for term, w in table.get(form, ()):
                    cands[term] = max(cands.get(term, 0.0), w * factor)

        forms = _inflections(word)
        for form in forms:
            collect(form, 1.0)
            if cands:
                break
        # "construction" also means what "construct" means (建设 besides 施工), a little less.
        for form in _derivations(forms[0]):
            collect(form, 0.85)
        return cands

    def _phrase_at(
        self,
        question: str,
        toks: list[_Tok],
        lemmas: list[str],
        i: int,
        out: list[QueryTerm],
    ) -> int:
        """Match the longest gloss phrase starting at token ``i``; return its length or 0."""
        if toks[i].text in STOPWORDS:
            return 0
        # Articles never appear in gloss keys; other stopwords ("of") may, inside a phrase.
        content = [
            j
            for j in range(i, min(len(toks), i + 2 * self._max_ngram))
            if toks[j].text not in ("a", "an", "the") and toks[j].seg == toks[i].seg
        ]
        for n in range(min(self._max_ngram, len(content)), 1, -1):
            idx = content[:n]
            if idx[-1] - idx[0] + 1 > n + 2 or toks[idx[-1]].text in STOPWORDS:
                continue
            middle = [lemmas[j] for j in idx[1:-1]]
            # "fault tolerance" is glossed "fault-tolerant": the last word may be derived.
            lasts = [lemmas[idx[-1]], *_derivations(lemmas[idx[-1]])]
            cands: _Cands = ()
            # "emancipating the mind" is glossed "emancipate the mind".
            for first in _inflections(toks[idx[0]].text):
                for last in lasts:
                    cands = self._phrases.get(" ".join([first, *middle, last]), ())
                    if cands:
                        break
                if cands:
                    break
            if cands:
                origin = question[toks[idx[0]].start : toks[idx[-1]].end]
                out.extend(QueryTerm(t, w, "phrase", origin) for t, w in _best(cands))
                return idx[-1] - i + 1
        return 0

    def _number_terms(
        self, question: str, toks: list[_Tok], i: int, number: tuple[int, str], out: list[QueryTerm]
    ) -> int:
        """Emit terms for a number word at ``i``; return the index of the next token to read."""
        value, kind = number
        table = self._numbers.get(str(value), {})
        cands = dict(table.get(kind, ()))
        end = i + 1
        if kind == "card" and end < len(toks) and toks[end].seg == toks[i].seg:
            noun = _lemma(toks[end].text)
            classifier = _CLASSIFIER_NOUNS.get(noun)
            if classifier:
                # The English noun names the classifier: "six kinds of" is 六种, not 六个.
                compound = _numeral(value) + classifier
                for term, _ in table.get("cls", ()):
                    if term == compound or (value == 2 and term == "两" + classifier):
                        cands[term] = 0.9
                if noun in _CONSUMED_CLASSIFIERS:
                    end += 1
        if cands:
            origin = question[toks[i].start : toks[end - 1].end]
            out.extend(QueryTerm(t, w, "number", origin) for t, w in _best(cands.items()))
        return end


def _best(cands: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    ranked = sorted(cands, key=lambda kv: -kv[1])[:MAX_TERMS_PER_SPAN]
    if not ranked:
        return []
    floor = max(ranked[0][1] * RELATIVE_FLOOR, ABSOLUTE_FLOOR)
    return [(t, w) for t, w in ranked if w >= floor]


def _merge(found: list[QueryTerm]) -> list[QueryTerm]:
    best: dict[str, tuple[QueryTerm, int]] = {}
    for order, qt in enumerate(found):
        held = best.get(qt.term)
        if held is None or qt.weight > held[0].weight:
            best[qt.term] = (qt, held[1] if held else order)
    ranked = sorted(best.values(), key=lambda pair: (-pair[0].weight, pair[1]))
    return [qt for qt, _ in ranked]




_LEXICON_LOCK = threading.Lock()
#: Each loaded index's tables as a Lexicon, made once; dropped with the index.
_LEXICONS: weakref.WeakKeyDictionary[Index, Lexicon] = weakref.WeakKeyDictionary()


def lexicon_of(index: Index) -> Lexicon | None:
    """The index's translation tables as a :class:`Lexicon`, read on first use and kept for
    as long as the index is; None when the index was built without tables."""
    if index.lexicon_tables is None:
        return None
    lexicon = _LEXICONS.get(index)
    if lexicon is not None:  # every question comes here: no lock once it is read
        return lexicon
    with _LEXICON_LOCK:
        lexicon = _LEXICONS.get(index)
        if lexicon is None:
            lexicon = _LEXICONS[index] = Lexicon.from_dict(index.lexicon_tables)
        return lexicon
