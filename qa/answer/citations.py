"""Checking a written answer's citations against the passages it was given.

A language model's answer carries [n] markers that should point at the numbered passages. Here
they are parsed and checked, sentence by sentence:

- a marker whose number is not a passage (0, or above the count) is removed and flagged;
- a sentence whose cited passage shares no term with it is marked "not supported by [n]". The
  terms of a Chinese sentence are its words (the index's tokenizer, else its Han bigrams),
  compared after Traditional→Simplified (:func:`qa.textnorm.normalize`), so a Traditional
  answer is checked against Simplified passages; the terms of an English sentence are its
  content words (:func:`qa.translate.content_words`, as written, for names such as GDP) and
  their Chinese terms from the project's English→Chinese lexicon
  (:meth:`qa.translate.Lexicon.translate`);
- an answer with no valid citation at all gets a warning (the caller shows the extractive answer
  under it);
- an answer not in the question's language and script gets a warning too.

A sentence that cites nothing is not checked: "the passages do not say" needs no source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qa.ingest.textnorm import is_traditional, normalize
from qa.query.translate import content_words
from qa.text import HAN_BMP, is_english

#: A citation marker: [1], [1, 3], [1][2] (each its own), 【2】.
MARKER_RE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、;]\s*\d{1,3})*)\s*[\]】]")
# Sentence ends: Chinese and Latin terminators, a full stop before a space, a line break.
_SPLIT_RE = re.compile(r"(?<=[。！？!?；\n])|(?<=\.)(?=\s)")
_LEADING_MARKS_RE = re.compile(rf"^(?:\s*{MARKER_RE.pattern})+")
_HAN_RUN_RE = re.compile(f"[{HAN_BMP}]+")
_ALNUM_RE = re.compile(r"[a-z0-9]{2,}")

#: Each language's name, in Chinese and in English.
LANGUAGE_NAMES = {
    "en": ("英文", "English"),
    "zh-Hans": ("简体中文", "Simplified Chinese"),
    "zh-Hant": ("繁体中文", "Traditional Chinese"),
}
WARNING_NO_CITATION = (
    "这个回答没有引用任何给出的段落，请以下面的摘录答案为准。 / This answer cites none of the "
    "passages it was given: rely on the extractive answer below."
)


def text_language(text: str) -> str:
    """The language and script of a text: ``"en"``, ``"zh-Hant"`` or ``"zh-Hans"``."""
    if is_english(text):
        return "en"
    return "zh-Hant" if is_traditional(text) else "zh-Hans"


@dataclass(frozen=True)
class CheckedSentence:
    """A sentence of the written answer and what its citations were found to be."""

    #: The sentence as shown: markers out of range removed, the valid ones kept.
    text: str
    #: Valid passage numbers it cites, in order.
    citations: tuple[int, ...] = ()
    #: Of those, the passages that share no term with it ("not supported by [n]").
    unsupported: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckedAnswer:
    """A written answer after its citations were checked."""

    text: str
    sentences: list[CheckedSentence]
    #: Out-of-range numbers that were removed, each once, in order.
    removed: tuple[int, ...] = ()
    #: Every valid passage number cited.
    cited: tuple[int, ...] = ()
    #: :data:`WARNING_NO_CITATION` when nothing valid is cited, else "".
    warning: str = ""
    #: One bilingual line when the answer is not in the question's language, else "".
    language_warning: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def unsupported(self) -> list[tuple[str, int]]:
        """Each (sentence, passage number) the passage does not support."""
        return [(s.text, n) for s in self.sentences for n in s.unsupported]


def split_sentences(text: str) -> list[str]:
    """Sentences of a written answer, each with the markers that follow its end."""
    parts = [p for p in _SPLIT_RE.split(text) if p]
    out: list[str] = []
    for part in parts:
        lead = _LEADING_MARKS_RE.match(part)
        if lead and out and not out[-1].endswith("\n"):
            # "…两个阶段。[1][2] 第二句" : the markers belong to the sentence before.
            out[-1] += lead.group()
            part = part[lead.end() :]
        if part.strip() or (out and part):
            out.append(part)
    return out


def _numbers(marker: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", marker)]


def sentence_terms(
    text: str,
    tokens: Callable[[str], Sequence[str]] | None = None,
    english_terms: Callable[[str], Sequence[str]] | None = None,
) -> set[str]:
    """The terms a sentence is checked by (normalised: Simplified, lower case).

    Args:
        text: The sentence, markers removed.
        tokens: Words of a normalised text (the index's tokenizer); None: Han bigrams.
        english_terms: Chinese terms of an English text (the lexicon); None: none.
    """
    norm = normalize(text)
    terms: set[str] = set(_ALNUM_RE.findall(norm.lower()))
    if tokens is not None:
        terms.update(t for t in tokens(norm) if len(t) >= 2)
    else:
        for run in _HAN_RUN_RE.findall(norm):
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
    if is_english(text):
        terms.update(content_words(norm))
        if english_terms is not None:
            terms.update(english_terms(norm))
    return {t for t in terms if t}


def check_citations(
    text: str,
    passages: Sequence[str],
    *,
    tokens: Callable[[str], Sequence[str]] | None = None,
    english_terms: Callable[[str], Sequence[str]] | None = None,
    question: str = "",
) -> CheckedAnswer:
    """Check a written answer's [n] markers against the passages.

    Args:
        text: The model's answer.
        passages: The passages' texts, passage ``n`` at position ``n - 1``.
        tokens: Words of a normalised text (see :func:`sentence_terms`).
        english_terms: Chinese terms of an English text (see :func:`sentence_terms`).
        question: The question; when given, an answer in another language is flagged.

    Returns:
        The checked answer.
    """
    normalized = [normalize(p).lower() for p in passages]
    removed: list[int] = []
    cited: list[int] = []
    sentences: list[CheckedSentence] = []
    flags: list[str] = []
    for raw in split_sentences(text):
        valid: list[int] = []

        def keep(match: re.Match[str], valid: list[int] = valid) -> str:
            nums = _numbers(match.group(1))
            ok = [n for n in nums if 1 <= n <= len(passages)]
            for n in nums:
                if n not in ok and n not in removed:
                    removed.append(n)
            valid.extend(n for n in ok if n not in valid)
            return "".join(f"[{n}]" for n in ok)

        shown = MARKER_RE.sub(keep, raw)
        bare = MARKER_RE.sub("", raw).strip()
        unsupported: tuple[int, ...] = ()
        if valid and bare:
            terms = sentence_terms(bare, tokens, english_terms)
            unsupported = tuple(n for n in valid if not any(t in normalized[n - 1] for t in terms))
        cited.extend(n for n in valid if n not in cited)
        sentences.append(CheckedSentence(shown, tuple(valid), unsupported))
    for n in removed:
        flags.append(f"已删除不存在的引用 [{n}] / removed citation [{n}]: there is no passage {n}")
    for s in sentences:
        for n in s.unsupported:
            flags.append(f"段落 [{n}] 不支持这句话 / not supported by [{n}]: {s.text.strip()}")
    language_warning = ""
    if question and text.strip():
        want, got = text_language(question), text_language(MARKER_RE.sub("", text))
        if want != got:
            (gz, ge), (wz, we) = LANGUAGE_NAMES[got], LANGUAGE_NAMES[want]
            language_warning = (
                f"回答用的是{gz}，问题用的是{wz} / the answer is in {ge}, the question in {we}"
            )
            flags.append(language_warning)
    return CheckedAnswer(
        text="".join(s.text for s in sentences).strip(),
        sentences=sentences,
        removed=tuple(removed),
        cited=tuple(cited),
        warning="" if cited else WARNING_NO_CITATION,
        language_warning=language_warning,
        flags=flags,
    )
