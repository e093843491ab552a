"""What the page and its ``/ask`` API accept (the bounds of a question, of k and of the mode),
and the bilingual messages for what they refuse."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from qa.errors import QAError, RequestError
from qa.query.prepare import clean_question

if TYPE_CHECKING:  # qa.answer.generate is imported only when a model is configured
    pass
from qa.settings import SEARCH_MODES

logger = logging.getLogger(__name__)


#: The passages a question may ask for: the page's slider, and the bounds of ``/ask``'s k.
K_MIN = 1


K_MAX = 10


def check_ask(question: object, k: object, mode: object, max_chars: int) -> tuple[str, int, str]:
    """The ``/ask`` endpoint's arguments, checked before any work is done for them.

    Args:
        question: At most ``max_chars`` characters of text; lone surrogates and control
            characters are dropped.
        k: An integer from :data:`K_MIN` to :data:`K_MAX` (the page's slider).
        mode: One of :data:`qa.settings.SEARCH_MODES`.
        max_chars: The page's question length (``Settings.max_question_chars``).

    Returns:
        The cleaned question, ``k`` and ``mode``.

    Raises:
        RequestError: With a one-line bilingual message naming what is wrong.
    """
    if not isinstance(question, str):
        raise RequestError("问题必须是文本 / the question must be a string")
    if len(question) > max_chars:
        raise RequestError(
            f"问题过长，最多 {max_chars} 个字符 / "
            f"the question is longer than {max_chars} characters"
        )
    if isinstance(k, bool) or not isinstance(k, int) or not K_MIN <= k <= K_MAX:
        raise RequestError(
            f"段落数必须是 {K_MIN} 到 {K_MAX} 的整数 / k must be an integer from {K_MIN} to {K_MAX}"
        )
    if not isinstance(mode, str) or mode not in SEARCH_MODES:
        names = ", ".join(SEARCH_MODES)
        raise RequestError(f"检索方式必须是 {names} 之一 / mode must be one of {names}")
    return clean_question(question), k, mode


def refusal(exc: QAError) -> str:
    """The one-line bilingual message a refused request gets back."""
    if isinstance(exc, RequestError):
        return str(exc)
    # The service's own messages are English; the Chinese half says what happened.
    return f"无法回答 / cannot answer: {' '.join(str(exc).split())}"
