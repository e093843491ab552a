"""A conversation as the page keeps it: its turns, their Markdown export, and the votes on them.

A turn is plain JSON data (the page keeps the conversation in the browser's local storage):
``{"index": <the answer's position in the chat>, "md": <the answer as Markdown, with its
passages>, "record": <the /ask JSON of the answer>}``. Votes are appended, one JSON line each,
to ``Settings.feedback_file``.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.app.page import conversation_markdown, feedback_record

logger = logging.getLogger(__name__)

#: Turns kept per conversation (the oldest are dropped beyond this, to bound local storage).
MAX_TURNS = 100

_append_lock = threading.Lock()


def add_turn(
    turns: Sequence[Mapping[str, Any]] | None, chat_len: int, cards: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The turns with the answer just shown added (none when the answer was an error).

    Args:
        turns: The turns so far.
        chat_len: Messages in the chat now; the answer is the last of them.
        cards: What :meth:`qa.app.ui.Page.cards_state` returned for the answer.
    """
    kept = [dict(t) for t in turns or () if isinstance(t, Mapping)]
    if cards.get("md"):
        kept.append({"index": chat_len - 1, "md": cards["md"], "record": cards.get("record", {})})
    return kept[-MAX_TURNS:]


def export_file(turns: Sequence[Mapping[str, Any]], folder: Path | None = None) -> Path:
    """Write the conversation as Markdown to a new file and return its path."""
    folder = folder or Path(tempfile.gettempdir()) / "qa-exports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", suffix=".md", prefix=f"conversation-{stamp}-", dir=folder,
        delete=False,
    ) as out:  # fmt: skip
        out.write(conversation_markdown(turns))
    return Path(out.name)


def turn_at(turns: Sequence[Mapping[str, Any]], index: int) -> Mapping[str, Any] | None:
    """The turn whose answer is message ``index`` of the chat, if any."""
    for turn in turns:
        if turn.get("index") == index:
            return turn
    return None


def append_feedback(path: Path, turn: Mapping[str, Any], vote: str) -> None:
    """Append one vote (with the turn's question, answer and passages) to the JSONL file."""
    line = feedback_record(turn, vote) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _append_lock, path.open("a", encoding="utf-8") as out:
        out.write(line)
    logger.info("feedback %s recorded in %s", vote, path)
