"""Dictionary glosses of Chinese text for English readers: CC-CEDICT, word by word, offline.

An English question gets a Chinese answer (the documents' own sentences); under each item and
sentence the page shows the English senses of its words ("宣传发动、统一思想阶段" → "publicity ·
mobilize · unify · thinking · phase"), labelled as a dictionary gloss: a reading aid, not a
translation. :func:`lookup` gives a word's pinyin and senses for the pointer pop-up.
"""

from __future__ import annotations

import re

from qa.ingest.textnorm import normalize
from qa.query.translate import dictionary
from qa.text import HAN_A_TO_BASIC

#: Words glossed per sentence at most (a long sentence gets the gloss of its start, "…").
MAX_GLOSS_WORDS = 16
#: jieba tags of words that carry no meaning of their own for a reader (particles,
#: conjunctions, prepositions, pronouns, numerals, measure words): left out of a gloss.
_SKIP_TAGS = ("u", "c", "p", "r", "m", "q", "y", "e", "o", "x", "w")
#: Verbs too common to help a reader ("一是…", "要…").
_SKIP_WORDS = frozenset("是为有在将把要让使被")
_CJK = re.compile(f"[{HAN_A_TO_BASIC}]")
# Senses that point elsewhere instead of saying what the word means.
_POINTER_SENSE = re.compile(r"^(?:variant of|old variant of|see |surname |used in |CL:|abbr\. for)")


def _first_meaning(senses: str) -> str:
    for sense in senses.split("/"):
        sense = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", sense).strip()
        if not sense or _POINTER_SENSE.match(sense):
            continue
        sense = re.split(r"[;,]", sense)[0].strip()
        sense = re.sub(r"^(?:to|a|an|the) ", "", sense)
        if sense:
            return sense
    return ""


def word_gloss(word: str) -> str:
    """The first plain English sense of a word in CC-CEDICT (an ordinary entry before a name),
    or "" when it has none."""
    entries = dictionary().get(normalize(word), [])
    ordinary = [e for e in entries if not e[0][:1].isupper()] or entries
    for _pinyin, senses in ordinary:
        meaning = _first_meaning(senses)
        if meaning:
            return meaning
    return ""


def gloss_text(text: str) -> str:
    """A word-by-word English gloss of Chinese text, words joined by " · ".

    Words the dictionary lacks are glossed by their characters; particles and the like are
    left out. Empty for text with no Chinese.
    """
    from jieba import posseg

    out: list[str] = []
    for token in posseg.cut(normalize(text)):
        word, flag = token.word, token.flag
        if not _CJK.search(word) or flag.startswith(_SKIP_TAGS) or word in _SKIP_WORDS:
            continue
        meaning = word_gloss(word)
        meanings = [meaning] if meaning else [m for m in map(word_gloss, _known_parts(word)) if m]
        for meaning in meanings:
            if not out or out[-1] != meaning:
                out.append(meaning)
        if len(out) >= MAX_GLOSS_WORDS:
            return " · ".join(out[:MAX_GLOSS_WORDS]) + " · …"
    return " · ".join(out)


def _known_parts(word: str) -> list[str]:
    """A word the dictionary lacks, split into the longest words it has (解放思想 → 解放, 思想),
    a character where nothing longer is known."""
    table, parts, i = dictionary(), [], 0
    while i < len(word):
        for size in range(min(4, len(word) - i), 0, -1):
            if size == 1 or word[i : i + size] in table:
                parts.append(word[i : i + size])
                i += size
                break
    return parts


def lookup(word: str) -> list[tuple[str, str]]:
    """A word's CC-CEDICT entries, as ``(pinyin, senses "; "-joined)``."""
    return [(p, s.replace("/", "; ")) for p, s in dictionary().get(normalize(word), [])]


def tone_marks(numbered: str) -> str:
    """CC-CEDICT's numbered pinyin with tone marks: "jie1 duan4" → "jiē duàn" (pypinyin's
    converter; CC-CEDICT writes ü as u: and keeps a name's capital)."""
    from pypinyin.contrib.tone_convert import to_tone

    out = []
    for syllable in numbered.split():
        if not syllable[-1:].isdigit():
            out.append(syllable)  # a letter (V领) or a mark, not a syllable
            continue
        plain = syllable.replace("u:", "v").replace("U:", "V").lower()
        if not any(v in plain for v in "aeiouv"):
            out.append(syllable[:-1])  # m2, ng4: no vowel to mark
            continue
        marked = to_tone(plain)
        out.append(marked[:1].upper() + marked[1:] if syllable[:1].isupper() else marked)
    return " ".join(out)


#: Senses shown in a word's pop-up at most.
MAX_NOTE_SENSES = 4


def word_notes(text: str) -> list[tuple[int, int, str]]:
    """The dictionary words of a Chinese text with their pop-up note: ``(start, end, note)``,
    the note "jiē duàn — stage; section; phase" (pinyin with tone marks, then senses).

    Spans index ``text`` (the segmentation runs on its Simplified form, of the same length).
    """
    import jieba

    table = dictionary()
    notes = []
    pos = 0
    for word in jieba.cut(normalize(text)):
        start, pos = pos, pos + len(word)
        entries = table.get(word, [])[:2] if _CJK.search(word) else []
        readings = [
            f"{tone_marks(pinyin)} — {'; '.join(senses.split('/')[:MAX_NOTE_SENSES])}"
            for pinyin, senses in entries
        ]
        if readings:
            notes.append((start, pos, " | ".join(readings)))
    return notes
