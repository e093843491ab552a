"""English for the translation: stop words, the glossary of official terms, word forms
(lemmas, inflections, derivations) and number words."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Mapping

from qa.text import CN_DIGITS, EN_CARDINALS, EN_ORDINALS, HAN_BMP, HAN_BMP_CHAR

logger = logging.getLogger(__name__)

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
    upheld:uphold forbade:forbid forbidden:forbid arisen:arise oversaw:oversee overseen:oversee
    undergone:undergo underwent:undergo withheld:withhold rebuilt:rebuild
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
# Separators that keep two Latin tokens in one phrase / one pinyin name ("Zhu Cheng",
# "zhu-cheng", "Xi'an"); anything else (punctuation, Chinese) ends the phrase.
_JOINING_GAP = re.compile(r"[\s\-'’‐·]*")
# Words of one compound may also stand in quotes: the three "years" (三个年).
_COMPOUND_GAP = re.compile(r"[\s\-'’‐·\"“”‘「」『』]*")
# Tokens get segment numbers below this; pinyin breaks add multiples of it.
_SEG_STRIDE = 1_000_000
_CONTRACTIONS = frozenset({"s", "t", "re", "ve", "ll", "d", "m"})
_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_Cands = tuple[tuple[str, float], ...]
# _gloss_keys, or a memo of it.
_GlossKeys = Callable[[str, str | None], list[tuple[list[str], float, bool]]]
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
