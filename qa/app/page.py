"""The page's look and its text exports: CSS for both colour schemes, the side panel and phones,
the page's small script, and the HTML and Markdown the page builds beside the answers.

Only strings here (no gradio): :mod:`qa.app.ui` places them. Everything from a document or from
the user is escaped with :func:`html.escape` before it becomes HTML.

Colours. Every text colour of the page's own parts is set here, in pairs, one for the light
scheme and one for the dark one (gradio puts the class ``dark`` on the page when the system
asks for it), each at least 4.5:1 (WCAG AA) against the background it is drawn on; the
measured ratios are in ``tests/test_page.py``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qa.answer.result import Answer
from qa.ingest.corpus import Document

#: Characters of a question echoed under "understood as" (the rest is cut with "…").
ECHO_CHARS = 80

#: The width below which the page is laid out for a phone (one column, document as a dialog).
PHONE_MAX_PX = 760

SCRIPT_NAMES = {"simplified": "简体 / Simplified", "traditional": "繁體 / Traditional"}

CSS = f"""
:root {{
  --qa-subtle: #52525b; --qa-accent: #9a3412; --qa-error: #b42318;
  --qa-term-bg: #fde68a; --qa-term-fg: #111827;
  --qa-passage-bg: #bfdbfe; --qa-passage-fg: #111827; --qa-passage-ring: #60a5fa;
}}
.dark {{
  --qa-subtle: #d4d4d8; --qa-accent: #fdba74; --qa-error: #fca5a5;
  --qa-term-bg: #713f12; --qa-term-fg: #fef3c7;
  --qa-passage-bg: #1e3a8a; --qa-passage-fg: #dbeafe; --qa-passage-ring: #3b82f6;
}}
.qa-terms, .qa-meta, .qa-query, .qa-more summary {{ color: var(--qa-subtle) !important; }}
.qa-cite, .qa-num, .qa-notice {{ color: var(--qa-accent) !important; }}
.qa-cite[class*="qa-at-"] {{ cursor: pointer; text-decoration: underline dotted; }}
.qa-error {{ color: var(--qa-error) !important; }}
mark.qa-term, mark.qa-span {{ background: var(--qa-term-bg) !important;
  color: var(--qa-term-fg) !important; }}
mark.qa-passage {{ background: var(--qa-passage-bg) !important;
  color: var(--qa-passage-fg) !important; box-shadow: 0 0 0 1px var(--qa-passage-ring); }}
mark.qa-term *, mark.qa-span *, mark.qa-passage * {{ color: inherit !important; }}
mark.qa-passage mark.qa-term {{ color: var(--qa-term-fg) !important; }}
.qa-more {{ display: inline; }}
.qa-more summary {{ display: inline; cursor: pointer; text-decoration: underline dotted; }}
#qa-examples {{ gap: 6px; align-items: center; }}
#qa-examples > * {{ flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }}
#qa-copy-src {{ display: none !important; }}
.qa-docs table {{ width: 100%; border-collapse: collapse; font-size: 0.92em; }}
.qa-docs td, .qa-docs th {{ padding: 4px 6px; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--border-color-primary); }}
.qa-doc-link {{ color: inherit; background: none; border: none; padding: 0; font: inherit;
  text-align: left; cursor: pointer; text-decoration: underline; font-weight: 600; }}
#qa-doc-panel {{ display: none !important; }}
#qa-doc-panel:has(.qa-doc), #qa-doc-panel:has(.qa-error) {{
  display: flex !important; flex-direction: column; position: fixed; z-index: 1000;
  top: 0; right: 0; bottom: 0; width: min(38vw, 640px); margin: 0; gap: 6px;
  padding: 10px 12px; overflow: hidden; background: var(--background-fill-primary);
  border-left: 1px solid var(--border-color-primary); box-shadow: -6px 0 18px rgb(0 0 0 / 25%);
}}
#qa-doc-panel #qa-doc {{ flex: 1 1 auto; min-height: 0; overflow-y: auto !important; }}
#qa-doc-panel .qa-doc-body {{ max-height: none; overflow: visible; }}
#qa-doc-close {{ align-self: flex-end; flex: 0 0 auto; }}
#qa-open-req, #qa-open-go {{ display: none !important; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  #qa-examples {{ flex-wrap: nowrap !important; overflow-x: auto; }}
  #qa-model {{ display: none; }}
  #qa-main {{ flex-direction: column !important; flex-wrap: nowrap !important; }}
  #qa-left {{ display: contents !important; }}
  #qa-side {{ order: 1; }}
  #qa-actions, #qa-notes {{ order: 2; }}
  #qa-question-row {{ flex-wrap: nowrap !important; }}
  #qa-ask {{ min-width: 76px !important; flex: 0 0 auto !important; }}
  #qa-doc-panel:has(.qa-doc), #qa-doc-panel:has(.qa-error) {{ left: 0; width: auto; }}
  #qa-chat {{ height: 46vh !important; min-height: 260px; }}
  .gradio-container h1 {{ font-size: 1.3em; margin: 0; }}
}}
"""

# Clicking a citation marker in the chat (or a document's title in the documents list) asks the
# page to open that document: the request goes through a hidden button whose event reads it
# (the chat's HTML is sanitised, so the markers carry data attributes, not handlers). Escape
# closes the document panel.
HEAD = """
<script>
(() => {
  const request = (el) => {
    const token = [...el.classList].find(c => c.startsWith('qa-at-'));
    if (!token) { return null; }
    const b64 = token.slice(6).replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - b64.length % 4) % 4)),
      c => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  };
  const ask = (el) => {
    window.qaOpenReq = request(el);
    const go = document.querySelector('#qa-open-go');
    if (go && window.qaOpenReq) { go.click(); }
  };
  const target = (ev) => {
    const el = ev.target && ev.target.closest ? ev.target.closest('[class*="qa-at-"]') : null;
    return el && el.closest('#qa-chat, #qa-docs') ? el : null;
  };
  document.addEventListener('click', (ev) => {
    const el = target(ev);
    if (el) { ev.preventDefault(); ask(el); }
  });
  document.addEventListener('keydown', (ev) => {
    const el = target(ev);
    if (el && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); ask(el); }
    if (ev.key === 'Escape') {
      const close = document.querySelector('#qa-doc-panel:has(.qa-doc) #qa-doc-close');
      if (close) { close.click(); }
    }
  });
})();
</script>
"""

#: The hidden button's event: hand the request the script left to the server.
OPEN_REQUEST_JS = "(x) => [window.qaOpenReq || x || '']"

# Run after the document view is filled: the passage's <mark> may not be in the DOM yet
# when the event's js runs, so retry for a moment. Only the panel scrolls.
SCROLL_JS = """
() => {
  let tries = 0;
  const go = () => {
    const m = document.querySelector('#qa-doc mark.qa-passage');
    const box = document.querySelector('#qa-doc-panel #qa-doc');
    if (m && box) {
      box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top
        - box.clientHeight / 3;
    } else if (document.querySelector('#qa-doc .qa-doc')) {
      if (box) { box.scrollTop = 0; }
    } else if (tries++ < 40) { setTimeout(go, 50); }
  };
  setTimeout(go, 30);
}
"""

#: Copies the latest answer with its sources (the Markdown kept in a hidden element).
COPY_JS = """
() => {
  const src = document.querySelector('#qa-copy-src pre');
  const text = src ? src.textContent : '';
  const note = document.querySelector('#qa-copy-note');
  const say = (msg) => { if (note) { note.textContent = msg; } };
  if (!text) { say('还没有回答 / no answer yet'); return; }
  const fallback = () => {  // no clipboard API off localhost over plain http
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    say(done ? '已复制 / copied' : '无法复制 / could not copy');
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => say('已复制 / copied'), fallback);
  } else { fallback(); }
}
"""


#: The Chinese of the English-only messages the service and the search give (by the English
#: message's opening words), so that every notice and error on the page is in both languages.
CHINESE_OF = {
    "The question was too long and was cut": "问题过长，已截断。",
    "the question is empty": "问题为空。",
    "nothing to search for in": "问题中没有可检索的内容。",
    "a rebuild is already running": "重建已在进行，请在它结束后再试。",
    "no indexed document": "索引中没有这篇文档。",
    "seeds folder": "文档文件夹中没有可读的 *.txt 文件。",
    "index was built with": "索引是用另一个模型建立的，需要重建。",
    "unknown search mode": "未知的检索方式。",
}


def bilingual(message: str, fallback: str = "无法完成 / could not be done: ") -> str:
    """A message in Chinese and English: as it is when it has Chinese already, else with the
    Chinese of a known message before it (or ``fallback``, for one that is not known)."""
    message = " ".join(str(message).split())
    if " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return message
    for opening, chinese in CHINESE_OF.items():
        if message.startswith(opening):
            return f"{chinese} / {message}"
    return f"{fallback}{message}"


def esc(text: object) -> str:
    """HTML-escape any value's text (quotes too, so it is safe in attributes)."""
    return html.escape(str(text), quote=True)


def short(text: str, limit: int = ECHO_CHARS) -> str:
    """A text cut to ``limit`` characters with "…" (whitespace runs folded)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


#: The class prefix of an element that opens a passage when clicked (see :func:`open_class`).
OPEN_PREFIX = "qa-at-"


def open_class(doc_id: str, start: int, end: int, terms: Iterable[str] = ()) -> str:
    """The class that makes an element open a document at a passage when clicked.

    The chat sanitises its HTML down to a few attributes (no ``data-*``, no handlers), so the
    request rides in a class name: :data:`OPEN_PREFIX` and the base64url of its JSON, which
    the page's script (:data:`HEAD`) decodes.
    """
    request = {"doc": doc_id, "start": int(start), "end": int(end), "terms": list(terms)[:30]}
    raw = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return OPEN_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def open_attrs(doc_id: str, start: int, end: int, terms: Iterable[str] = ()) -> str:
    """The class (see :func:`open_class`) and keyboard attributes of a clickable element."""
    return f'class="{open_class(doc_id, start, end, terms)}" role="button" tabindex="0"'


def terms_html(terms: Sequence[str], widened: Iterable[str] = ()) -> str:
    """The "searched for" line: the question's own terms and translations, widening folded.

    Args:
        terms: Every term searched for, in the search's order.
        widened: The terms that came from widening (near-synonyms the user never typed).

    Returns:
        Escaped HTML.
    """
    extra = set(widened)
    own = [t for t in terms if t not in extra]
    more = [t for t in terms if t in extra]
    shown = esc(" ".join(own)) if own else "—"
    folded = (
        f' <details class="qa-more"><summary>更多 / more ({len(more)})</summary>'
        f"{esc(' '.join(more))}</details>"
        if more
        else ""
    )
    return f'<div class="qa-terms">检索词 / searched for: {shown}{folded}</div>'


def documents_html(documents: Sequence[Document], passages: Mapping[str, int]) -> str:
    """The documents list: title (opens the document), date, source, script, passages.

    Args:
        documents: The indexed documents.
        passages: Passage (chunk) count per document id.

    Returns:
        Escaped HTML.
    """
    rows = []
    for doc in documents:
        title = doc.title or doc.doc_id
        rows.append(
            "<tr>"
            f'<td><span {open_attrs(doc.doc_id, 0, 0)}><span class="qa-doc-link">'
            f"{esc(title)}</span></span>"
            f'<div class="qa-meta">{esc(doc.doc_id)}</div></td>'
            f"<td>{esc(doc.date or '—')}</td><td>{esc(doc.source or '—')}</td>"
            f"<td>{esc(SCRIPT_NAMES.get(doc.script, doc.script))}</td>"
            f"<td>{int(passages.get(doc.doc_id, 0))}</td></tr>"
        )
    head = (
        "<tr><th>标题 / title</th><th>日期 / date</th><th>来源 / source</th>"
        "<th>字体 / script</th><th>段落 / passages</th></tr>"
    )
    return (
        f'<div class="qa-docs"><p class="qa-meta">{len(documents)} 篇文档，点击标题打开 / '
        f"documents; click a title to open it</p><table>{head}{''.join(rows)}</table></div>"
    )


def copy_source_html(markdown: str) -> str:
    """The hidden element the copy button reads: the latest answer as Markdown, escaped."""
    return f"<pre>{esc(markdown)}</pre>"


# --------------------------------------------------------------------------- Markdown


def _md_line(text: str) -> str:
    return " ".join(text.split())


def answer_markdown(answer: Answer) -> str:
    """One answer as Markdown, with every cited passage's text, title and source.

    Args:
        answer: What the service returned.

    Returns:
        Markdown: the question, the answer with its [n] markers, then the passages.
    """
    out = [f"## {_md_line(short(answer.question, 200))}", ""]
    if answer.notice:
        out += [f"*{_md_line(answer.notice)}*", ""]
    if not answer.found:
        out += ["未找到相关段落 / No relevant passage found", ""]
    if answer.lead:
        out += [_md_line(answer.lead), ""]
    for i, item in enumerate(answer.items, start=1):
        label = f"**{item.label}**：" if item.label else ""
        cites = "".join(f" [{n}]" for n in item.citations)
        out.append(f"{i}. {label}{_md_line(item.text)}{cites}")
    if answer.items:
        out.append("")
    for sentence in answer.sentences if not answer.items else []:
        cites = "".join(f" [{n}]" for n in sentence.citations)
        out += [f"{_md_line(sentence.text)}{cites}", ""]
    cited = sorted({int(n) for s in [*answer.items, *answer.sentences] for n in s.citations})
    numbers = cited or list(range(1, len(answer.passages) + 1))
    if numbers and answer.passages:
        out += ["### 出处 / Sources", ""]
    for n in numbers:
        if not 0 < n <= len(answer.passages):
            continue
        chunk = answer.passages[n - 1].chunk
        doc = answer.documents.get(chunk.doc_id)
        title = doc.title if doc is not None and doc.title else chunk.doc_id
        meta = [p for p in ((doc.source, doc.date) if doc is not None else ()) if p]
        meta.append(chunk.doc_id)
        out.append(f"[{n}] **{_md_line(title)}** ({' · '.join(meta)})")
        out += [f"> {line}" if line.strip() else ">" for line in chunk.text.splitlines()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def conversation_markdown(turns: Sequence[Mapping[str, Any]]) -> str:
    """A whole conversation as Markdown: each kept turn's ``md``, in order."""
    body = "\n".join(str(t.get("md", "")) for t in turns if t.get("md"))
    return "# 文档问答 · Document QA\n\n" + (body or "（空 / empty）\n")


def feedback_record(turn: Mapping[str, Any], vote: str) -> str:
    """One line of the feedback file: question, answer, passages and the vote, as JSON."""
    row = dict(turn.get("record", {}))
    row["vote"] = vote
    return json.dumps(row, ensure_ascii=False)
