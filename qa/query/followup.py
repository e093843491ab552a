"""Follow-up questions: give an elliptical question the topic of the conversation.

A follow-up such as "那第三个阶段呢?" or "and the fourth spirit?" cannot be searched on its own.
:func:`analyze_followup` joins it with the content words of the last self-contained question
of the history ("诸城作风建设年活动分为五个阶段 第三个阶段"), so retrieval finds the passage the
conversation is about. :func:`analyze_followup` also says which item of a list a follow-up
asks for (第三个 / the third → 3), and the list question it refers to.

A question counts as a follow-up when the history is not empty and the question

* starts with 那 / 那么 / 还有 / 另外 / 那个 / 这个, or ends with 呢 (Chinese);
* starts with "and", "what about", "how about", "and what about" (English);
* is short (at most :data:`SHORT_CN` Chinese characters or :data:`SHORT_EN` English words)
  and refers back with a pronoun (它 / 它们 / 其 / 这些 / 那些 / 该 / 此; it / they / this / that
  / these / those / one), or is little more than an ordinal ("第四种", "the third one"), or
  has an ordinal and nothing of its own that names the list ("第一项要做到什么?").

Anything else is self-contained and searched as typed, even with a history.

Not covered: a follow-up that changes the subject without a cue ("诸城呢" is handled, but
"常州的情况" after a question about 诸城 is taken as self-contained and so searched alone);
pronouns that point further back than the last self-contained question; and co-reference
inside long questions (a long question with 它 is taken as self-contained).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.textnorm import normalize
from qa.query.question import ListRequest, answer_kind, list_request, ordinal_of
from qa.text import HAN_A_TO_BASIC, HAN_BASIC, is_english

logger = logging.getLogger(__name__)

#: A Chinese question with at most this many CJK characters is short.
SHORT_CN = 12
#: An English question with at most this many words is short.
SHORT_EN = 8

_CJK = re.compile(f"[{HAN_A_TO_BASIC}]")
_CN_CUE_START = re.compile(r"^(?:那么|那|还有|另外|此外|那个|这个|这些|那些)")
_CN_CUE_END = re.compile(r"呢\s*[?？。.!！]*\s*$")
_CN_PRONOUN = re.compile(r"它们|它|(?<![尤极])其(?![他实次])|这些|那些|这个|那个|(?<![应])该|此")
_EN_CUE_START = re.compile(r"^\s*(?:and|what about|how about|and what about|also)\b", re.I)
_EN_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|one|ones)\b", re.I)
_ORDINAL_ONLY = re.compile(
    r"^(?:第[一二两三四五六七八九十\d]+[个种项条类点步件]?|the\s+\w+(?:\s+one)?|\w+\s+one)$", re.I
)

# Words that carry no topic: interrogatives, particles, cues and pronouns.
_CN_FILLER = re.compile(
    r"请问|那么|还有|另外|此外|是什么时候|什么时候|何时|是什么|是哪些|有哪些|有什么|有哪几|是哪几|哪些|哪几|什么|"
    r"怎么样|怎样|"
    r"怎么|如何|为什么|为何|多少|是否|是不是|吗|呢|吧|啊|它们|它|这个|那个|这些|那些|哪|"
    r"[?？!！。,，、:：;；\"“”「」'()（）]"
)
_CN_LEADING_THAT = re.compile(r"^\s*那")
_EN_FILLER = re.compile(
    r"\b(?:and|what|which|who|whom|how|why|when|where|about|is|are|was|were|do|does|did|the|"
    r"a|an|of|it|its|they|them|their|this|that|these|those|one|ones|tell|me|please|also)\b|"
    r"[?!.,;:\"']",
    re.I,
)


# The ordinal itself is not searched for: the list's items say 三是, not 第三个, and a term
# that no passage holds only makes the match look weak. The ordinal picks the item instead.
_ORDINAL_WORDS = re.compile(
    r"第[一二两三四五六七八九十\d]+(?:个|种|项|条|类|点|步|件)?|最后一(?:个|种|项|条|类|点|步|件)?"
    r"|\bthe\s+last\b"
    r"|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\b",
    re.I,
)


# An interrogative of its own: the follow-up asks something new, not the topic's question again.
_ASKS = re.compile(
    r"什么|谁|哪|多少|几|何|怎|吗|为啥|\b(?:what|who|whom|which|when|where|why|how)\b", re.I
)


@dataclass(frozen=True)
class Followup:
    """How a question is searched, given the conversation so far."""

    question: str  # as typed
    query: str  # what to search: the question, or the topic plus the question
    is_followup: bool
    topic: str = ""  # the earlier self-contained question it continues, or ""
    ordinal: int | None = None  # which item of a list is asked for ("第三个" → 3)
    #: The list asked for: the topic's list with the ordinal, the follow-up's own list
    #: question, or the topic's list when the follow-up only changes the place ("那常州呢?").
    request: ListRequest | None = None
    #: An elliptical question with no conversation to continue and too little of its own
    #: to search ("那第三个呢?" as a first question): the user is asked for a full question.
    needs_context: bool = False
    #: What the answer must hold (:func:`qa.query.question.answer_kind`): the question's own
    #: kind, or the topic's when the follow-up asks nothing of its own ("那诸城的呢?" after
    #: "泰兴的市委书记是谁?" asks for a person too); "" when it is not a follow-up.
    kind: str = ""


def _is_english(text: str) -> bool:
    return is_english(text, han=_CJK)


def is_elliptical(question: str) -> bool:
    """Whether a question leans on an earlier one (see the module docstring for the rules).

    Args:
        question: The question as typed.

    Returns:
        True for "那第三个阶段呢?", "它是什么时候开始的", "and the fourth spirit?".
    """
    norm = normalize(question or "").strip()
    if not norm:
        return False
    if _is_english(norm):
        words = re.findall(r"[A-Za-z0-9]+", norm)
        if _EN_CUE_START.search(norm):
            return True
        bare = re.sub(r"[?!.]+$", "", norm).strip()
        short = len(words) <= SHORT_EN
        return short and (bool(_EN_PRONOUN.search(norm)) or bool(_ORDINAL_ONLY.match(bare)))
    if _CN_CUE_START.search(norm) or _CN_CUE_END.search(norm):
        return True
    short = len(_CJK.findall(norm)) <= SHORT_CN
    if not short:
        return False
    if _CN_PRONOUN.search(norm):
        return True
    bare = _CN_FILLER.sub("", norm).strip()
    ordinal = ordinal_of(norm)
    # "第一项要做到什么?": an ordinal with nothing of its own to say which list.
    return bool(_ORDINAL_ONLY.match(bare)) or (
        ordinal is not None and (len(bare) <= 5 or _says_little(norm, ordinal))
    )


def content_words(question: str) -> str:
    """The question without interrogatives, particles, cues and punctuation.

    Args:
        question: Any question.

    Returns:
        Its content, e.g. "诸城作风建设年活动分为五个阶段" for "诸城作风建设年活动分为哪五个阶段?"
        and "five phases in Zhucheng" for "what are the five phases in Zhucheng?".
    """
    text = (question or "").strip()
    if _is_english(normalize(text)):
        return " ".join(_EN_FILLER.sub(" ", text).split())
    # In Simplified script, so that Traditional fillers (什麼, 哪些) go too.
    text = _CN_LEADING_THAT.sub("", normalize(text))
    return " ".join(_CN_FILLER.sub(" ", text).split())


def _repeats(word: str, topic: str) -> bool:
    """Whether the topic already says ``word`` ("阶段" in "…五个阶段", "spirit" in "spirits").

    Saying it twice only makes the search think half the query went unmatched.
    """
    word, topic = normalize(word).lower(), normalize(topic).lower()
    if _is_english(word):
        stem = word.removesuffix("s")
        return any(t.removesuffix("s") == stem for t in re.findall(r"[a-z0-9]+", topic))
    return word in topic


#: jieba tags of names (places, people, organisations, other proper nouns).
_NAME_TAGS = ("ns", "nr", "nt", "nz")


def _leading_name(question: str) -> str:
    """The proper name a Chinese question starts with (泰兴, 诸城), as written, or ""."""
    words = content_words(question).split()
    if not words or _is_english(normalize(words[0])):
        return ""
    from jieba import posseg

    first = next(iter(posseg.cut(normalize(words[0]))), None)
    if first is None or not first.flag.startswith(_NAME_TAGS) or not 2 <= len(first.word) <= 4:
        return ""
    return words[0][: len(first.word)]


def _topic(history: Sequence[str]) -> str:
    """The last self-contained question of the history, or "".

    An earlier follow-up is no topic, whether elliptical or an ordinal that counts its own
    topic's things ("第二种精神具体是什么意思?" after "…“四种精神”是哪几种?": "那第三种呢?" then
    asks about the four spirits, not about the second).
    """
    topic = ""
    for earlier in history:
        earlier = (earlier or "").strip()
        if not earlier or is_elliptical(earlier):
            continue
        if topic and ordinal_of(earlier) is not None and _counts_the_topic(earlier, topic):
            continue
        topic = earlier
    return topic


def analyze_followup(question: str, history: Sequence[str] = ()) -> Followup:
    """Decide whether a question is a follow-up, and what to search for it.

    Args:
        question: The question as typed.
        history: Earlier questions of the conversation, oldest first.

    Returns:
        The search query (the question itself when it is self-contained or there is no
        topic to continue), the ordinal it asks for, and the list request of its topic.
    """
    question = question or ""
    ordinal = ordinal_of(question)
    elliptical = is_elliptical(question)
    if ordinal is None and elliptical and history and _refers_back(question):
        # "When does it run?" after "and the third one?": it is the item just asked about.
        ordinal = ordinal_of(history[-1] or "") if is_elliptical(history[-1] or "") else None
    topic = _topic(history) if elliptical or ordinal is not None else ""
    if topic and not elliptical:
        # "第二种精神具体是什么意思?" after "…“四种精神”是哪几种?": it says enough to be searched,
        # but which 四种精神 only the topic says.
        elliptical = _counts_the_topic(question, topic)
        topic = topic if elliptical else ""
    if not topic:
        lost = elliptical and _says_little(question, ordinal)
        return Followup(question, question, False, ordinal=ordinal, needs_context=lost)
    rest = _ORDINAL_WORDS.sub(" ", question) if ordinal is not None else question
    base = content_words(topic)
    new_place, old_place = _leading_name(rest), _leading_name(topic)
    if new_place and old_place and normalize(new_place) != normalize(old_place):
        # "那常州的呢?" after a question about 泰兴: the same question, of another place.
        base = " ".join(base.replace(old_place, " ").split())
    added = [w for w in content_words(rest).split() if not _repeats(w, base)]
    query = " ".join([base, *added]).strip()
    topic_request = list_request(topic)
    own_request = list_request(question)
    if ordinal is not None:
        # "第三个阶段呢": item 3 of the list the topic asked for.
        asked = topic_request or own_request
        request: ListRequest | None = (
            dataclasses.replace(asked, ordinal=ordinal) if asked else ListRequest(ordinal=ordinal)
        )
    elif own_request is not None or _ASKS.search(normalize(question)):
        # The follow-up asks its own question ("它是什么时候开始的"): no list unless it asks one.
        request = own_request
    elif _names_a_thing(rest, new_place):
        # "那扎紧制度笼子呢?" after "…要带头做哪些事?": another thing, not the topic's list.
        request = None
    else:
        # "那常州呢?" after a list question asks for the same list elsewhere.
        request = topic_request
    kind = answer_kind(question)
    if kind == "other" and ordinal is None and not _ASKS.search(normalize(question)):
        # It asks what its topic asked, unless it left the topic's list for a thing of its own.
        moved = topic_request is not None and request is None
        kind = "other" if moved else answer_kind(topic)
    logger.debug("follow-up %r searched as %r (%s)", question, query, kind)
    return Followup(question, query, True, topic, ordinal, request, kind=kind)


# The ordinal of a Chinese question, with what follows it: the classifier and the noun it counts.
_ORDINAL_AND_NOUN = re.compile(
    rf"第(?:[一二两三四五六七八九十]+|\d+)([个种项条类点步件位方面]?)([{HAN_BASIC}]{{0,2}})"
)
# "最后一个又是什么意思?": the last one, with its classifier and what follows.
_LAST_AND_NOUN = re.compile(rf"最后一([个种项条类点步件位])([{HAN_BASIC}]{{0,2}})")
_COUNTED = re.compile(r"(?:[几一二两三四五六七八九十]|\d)+(?:个|种|项|条|类|点|步|件|位|大|方面)")


def _refers_back(question: str) -> bool:
    """Whether a question points back with a pronoun (它, 其, it, this …)."""
    pronoun = _EN_PRONOUN if _is_english(question) else _CN_PRONOUN
    return pronoun.search(question) is not None


def _counts_the_topic(question: str, topic: str) -> bool:
    """Whether a question's ordinal counts the things the topic asked for: the topic has the
    noun that follows the ordinal ("第二种精神" after "四种精神"), or asks for a number of the
    same classifier ("第二点" or "最后一点" after "强调了哪几点")."""
    norm, topic = normalize(question), normalize(topic)
    m = _ORDINAL_AND_NOUN.search(norm) or _LAST_AND_NOUN.search(norm)
    if m is None or _is_english(norm):
        return False
    classifier, noun = m[1], m[2]
    if len(noun) == 2 and noun in topic:
        return True
    return bool(classifier) and any(c.endswith(classifier) for c in _COUNTED.findall(topic))


#: A follow-up names a thing of its own (not only a place) with at least this many characters.
MIN_OWN_THING = 4


def _names_a_thing(rest: str, place: str) -> bool:
    """Whether a follow-up's own words, less a place it names, name a thing of their own
    ("那扎紧制度笼子呢?"), as "那常州呢?" and "诸城的呢?" do not."""
    words = content_words(rest)
    if place:
        words = words.replace(place, " ")
    words = re.sub(r"的|呢", " ", words)
    return len(_CJK.findall(words)) >= MIN_OWN_THING


#: A question with no conversation before it names its own topic when what is left of it, less
#: interrogatives, cues, pronouns, ordinals and these generic words, has more characters
#: (Chinese) or words (English) than this.
MIN_OWN_TOPIC = 3
_GENERIC = re.compile(
    r"具体|做|干|内容|情况|阶段|方面|的|个|种|项|条|步|是|做法"
    r"|\b(?:one|ones|phase|step|item|part|do|does)\b",
    re.I,
)


def _says_little(question: str, ordinal: int | None) -> bool:
    """Whether an elliptical question is too bare to be searched alone."""
    rest = _ORDINAL_WORDS.sub(" ", question) if ordinal is not None else question
    words = _GENERIC.sub(" ", content_words(normalize(rest)))
    if _is_english(normalize(question)):
        return len(words.split()) < 2
    return len(_CJK.findall(words)) < MIN_OWN_TOPIC
