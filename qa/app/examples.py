"""The example questions the page offers, taken from the corpus rather than from code.

In order: the file ``Settings.examples_file`` names; else ``examples.txt`` beside the seeds
folder; else questions drawn from the documents themselves (a Q&A heading that is a question,
else the document's title asked about).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from qa.ingest.chunk import Chunk
from qa.ingest.corpus import Document
from qa.settings import Settings

logger = logging.getLogger(__name__)

#: Examples shown at most.
MAX_EXAMPLES = 6
#: Longest heading turned into an example, in characters.
MAX_CHARS = 40
#: Longest title asked about.
MAX_TITLE_CHARS = 60

_ASKED = re.compile(r"^\s*[问問]\s*[:：]\s*")
_QUESTION_END = re.compile(r"[?？]\s*$")
_ABOUT = {"traditional": "講了什麼", "simplified": "讲了什么"}


def examples_path(settings: Settings) -> Path | None:
    """The examples file in force: the setting's, else ``examples.txt`` beside the seeds."""
    if settings.examples_file:
        return Path(settings.examples_file).expanduser()
    beside = settings.seeds_dir.parent / "examples.txt"
    return beside if beside.is_file() else None


def read_examples(path: Path) -> list[str]:
    """The questions of an examples file: one a line, blank lines and ``#`` comments skipped."""
    text = path.read_text(encoding="utf-8-sig")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")][:MAX_EXAMPLES]


def heading_examples(documents: Mapping[str, Document], chunks: Sequence[Chunk]) -> list[str]:
    """One question per document, drawn from its headings, or from its title.

    A heading that is a question ("问:……有何深意和内涵?") is asked as it stands (the
    shortest one that fits); otherwise the title is asked about ("……讲了什么").
    """
    headings: dict[str, list[str]] = {}
    for chunk in chunks:
        if chunk.heading:
            headings.setdefault(chunk.doc_id, []).append(chunk.heading)
    out: list[str] = []
    for doc_id, doc in documents.items():
        asked = [
            _ASKED.sub("", h).strip()
            for h in dict.fromkeys(headings.get(doc_id, ()))
            if (_ASKED.match(h) or _QUESTION_END.search(h)) and "…" not in h
        ]
        fitting = sorted((q for q in asked if 4 <= len(q) <= MAX_CHARS), key=len)
        title = " ".join(doc.title.split())
        if fitting:
            out.append(fitting[0])
        elif 4 <= len(title) <= MAX_TITLE_CHARS:
            out.append(title + _ABOUT.get(doc.script, _ABOUT["simplified"]))
    return out[:MAX_EXAMPLES]


def page_examples(
    settings: Settings, documents: Mapping[str, Document], chunks: Sequence[Chunk]
) -> list[str]:
    """The examples for the page (see the module's docstring).

    A named file that cannot be read is logged and the documents' own questions are used.
    """
    path = examples_path(settings)
    if path is not None:
        try:
            found = read_examples(path)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("examples file %s unreadable (%s); using the documents' headings",
                           path, exc)  # fmt: skip
        else:
            if found:
                return found
    return heading_examples(documents, chunks)
