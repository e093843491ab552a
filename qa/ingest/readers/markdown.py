"""Markdown files (``.md``, ``.markdown``) through markdown-it-py: the text without its markup.

Each block (heading, paragraph, list item, table row, code block) becomes one line; a list item
keeps its number ("3. ") or a bullet, so that numbered steps stay numbered. Soft line breaks
inside a paragraph are joined: without a space between Chinese characters, with one between
Latin words.
"""

from __future__ import annotations

import re
from typing import Any

from qa.errors import SeedsError
from qa.ingest.readers import EXTRA_HINT, Extracted, Options

_LATIN_END = re.compile(r"[A-Za-z0-9,.;:!?]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9]")


def _inline(token: object) -> str:
    """The text of an inline token: its children's text, breaks resolved."""
    out = ""
    pending = False  # a soft line break waits for the text after it
    for child in getattr(token, "children", None) or []:
        kind = child.type
        if kind == "softbreak":
            pending = True
            continue
        if kind == "hardbreak":
            out += "\n"
        elif kind in ("text", "code_inline", "image"):
            text = child.content
            if pending and _LATIN_END.search(out) and _LATIN_START.match(text):
                out += " "
            out += text
        pending = False
    return out


def read(data: bytes, name: str, options: Options) -> Extracted:
    """Read a Markdown file's text, one block per line.

    Raises:
        SeedsError: The file is not decodable text.
    """
    try:
        from markdown_it import MarkdownIt
    except ImportError as exc:
        raise SeedsError(f"{name}: reading Markdown needs markdown-it-py ({EXTRA_HINT})") from exc
    from qa.ingest.decode import decode

    source, _ = decode(data, name)
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    lines: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] or [] for a bullet list
    prefix = ""
    row: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind == "bullet_list_open":
            lists.append([])
        elif kind in ("ordered_list_close", "bullet_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            if lists[-1]:
                prefix = f"{lists[-1][0]}. "
                lists[-1][0] += 1
            else:
                prefix = "• "
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if any(row):
                lines.append(" | ".join(row))
        elif kind == "inline":
            text = _inline(token).strip()
            if _in_cell(tokens, token):
                row.append(text)
                continue
            if text:
                lines.append(prefix + text)
                prefix = ""
        elif kind in ("fence", "code_block"):
            lines.extend(t for t in token.content.splitlines() if t.strip())
    return Extracted(text="\n".join(lines), encoding="markdown")


def _in_cell(tokens: list[Any], token: object) -> bool:
    """Whether an inline token is a table cell's content."""
    i = tokens.index(token)
    return i > 0 and tokens[i - 1].type in ("th_open", "td_open")
