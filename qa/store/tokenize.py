"""Tokens for the keyword index: jieba search mode over Simplified text.

The corpus's own quoted terms (“三大一实干”, “作风建设年”) are added to jieba's dictionary so that
they are kept whole, and search mode also emits their parts (作风, 建设), so a question that uses
either finds them. Question words and function words are dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from qa.text import CN_NUMERALS, HAN_BASIC

logger = logging.getLogger(__name__)

# Function words, and the words a question is phrased with rather than what it is about.
_STOPWORDS_TEXT = """
的 了 是 在 和 与 及 或 等 也 就 都 而 并 对 把 被 从 向 以 为
于 之 其 这 那 此 该 个 着 过 吗 呢 吧 啊 呀 嘛 么 哦 又 还 要
会 能 可 可以 应 应当 应该 将 由 给 让 使 得 地 所 则 即 但 如 若
因 因为 所以 这个 那个 这些 那些 这样 那样 一个 一些 有 有些 没有 不
我 我们 你 你们 他 他们 她 它 它们 自己 什么 甚么 哪 哪些 哪个 哪几
哪几个 哪里 哪儿 几 几个 多少 谁 是否 是不是 如何 怎么 怎样 怎么样
为什么 为何 何 何时 何地 哪一 请问 请 问 吗 一下 呢 啥 有没有 都有
分别 什么样 提到 提出 讲 说
哪家 哪位 哪篇 哪句 哪项 哪种 哪样 哪方面 几位 几项 几种 那篇 那句 那次 那位 那家 那回 这回
叫 叫做 名字 原话 用来 是谁 为啥 啥样 干嘛
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_QUOTED_RE = re.compile(rf"[“\"「『]([{HAN_BASIC}]{{2,10}})[”\"」』]")
_TOKEN_OK_RE = re.compile(rf"[{HAN_BASIC}]|[a-z0-9]")
# "五个", "六种", "三大": the numeral alone is searchable too (an English "five" becomes 五).
_NUMERAL_MW_RE = re.compile(rf"^([{CN_NUMERALS}]+)[个种项条大类次年点是]$")


def quoted_terms(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Terms the corpus puts in quotation marks, to keep whole when tokenising.

    Args:
        texts: Simplified texts.
        min_count: Keep terms quoted at least this often.

    Returns:
        Sorted unique terms of 2 to 10 CJK characters.
    """
    counts: dict[str, int] = {}
    for text in texts:
        for term in _QUOTED_RE.findall(text):
            counts[term] = counts.get(term, 0) + 1
    return sorted(t for t, n in counts.items() if n >= min_count)


_BASE: Any = None
_BASE_LOCK = threading.Lock()


def _base_dictionary() -> Any:
    """jieba's default dictionary, loaded once per process."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            import jieba

            base = jieba.Tokenizer()
            base.initialize()
            _BASE = base
        return _BASE


class Tokenizer:
    """jieba search-mode tokenizer with the corpus's user dictionary and stopwords.

    Args:
        user_words: Extra dictionary words (see :func:`quoted_terms`).
    """

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        import jieba  # heavy dictionary load: only when a tokenizer is made

        jieba.setLogLevel(logging.WARNING)
        self.user_words = sorted(set(user_words))
        base = _base_dictionary()
        self._jieba = jieba.Tokenizer()
        # A private copy of the loaded dictionary: user words must not leak between
        # tokenizers, and copying is ~20x faster than jieba loading its cache again.
        self._jieba.FREQ = dict(base.FREQ)
        self._jieba.total = base.total
        self._jieba.initialized = True
        for word in self.user_words:
            self._jieba.add_word(word, freq=2000)
        # jieba's tokenizer is not safe to call from several threads at once.
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[str]:
        """Tokens of a Simplified, width-folded text, stopwords and punctuation removed.

        Args:
            text: Text already normalised with ``qa.ingest.textnorm.normalize``.

        Returns:
            Lower-cased tokens, repeated as often as they occur.
        """
        with self._lock:
            raw = self._jieba.lcut_for_search(text)
        out: list[str] = []
        for tok in raw:
            tok = tok.strip().lower()
            if not tok or tok in STOPWORDS or not _TOKEN_OK_RE.search(tok):
                continue
            out.append(tok)
            m = _NUMERAL_MW_RE.match(tok)
            if m:
                out.append(m.group(1))
        return out
