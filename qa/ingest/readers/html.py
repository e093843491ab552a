"""Saved web pages (``.html``, ``.htm``): the article's text through trafilatura, then the same
boilerplate cleaning as the ``.txt`` seeds (:func:`qa.corpus.clean`).

trafilatura drops navigation, sidebars and footers; the headline comes from the page's
metadata (``<h1>``, ``<title>``, Open Graph), the date and site name too where it gives them, and
they are put before the body as a saved page would have them ("2017-05-10 来源:诸城新闻网"),
so that the title, date and source are found as in a ``.txt`` seed.
"""

from __future__ import annotations

import logging

from qa.errors import SeedsError
from qa.ingest.readers import EXTRA_HINT, Extracted, Options

logger = logging.getLogger(__name__)


def _decode(data: bytes, name: str) -> str:
    """The page's characters: its declared charset, else the seeds' own decoding."""
    import re

    head = data[:4096].decode("ascii", "replace")
    m = re.search(r"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", head, re.IGNORECASE)
    if m:
        try:
            return data.decode(m[1].lower().replace("gb2312", "gb18030").replace("gbk", "gb18030"))
        except (LookupError, UnicodeDecodeError):
            pass
    from qa.ingest.decode import decode

    return decode(data, name)[0]


def read(data: bytes, name: str, options: Options) -> Extracted:
    """Read a web page's main text, headline first.

    Raises:
        SeedsError: The page is not decodable, or holds no article text.
    """
    try:
        import trafilatura
    except ImportError as exc:
        raise SeedsError(f"{name}: reading HTML needs trafilatura ({EXTRA_HINT})") from exc
    page = _decode(data, name)
    # Quiet: trafilatura logs every page it finds too short at WARNING.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    result = trafilatura.bare_extraction(
        page,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        with_metadata=True,
        deduplicate=False,
    )
    body = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if not body:
        raise SeedsError(f"{name}: no article text found in the page / 网页中没有正文")
    title = (getattr(result, "title", None) or "").strip()
    date = (getattr(result, "date", None) or "").strip()
    site = (getattr(result, "sitename", None) or "").strip()
    lines = [title] if title and not body.startswith(title) else []
    if date:
        lines.append(f"{date} 来源:{site}" if site else date)
    lines.append(body)
    return Extracted(text="\n".join(lines), encoding="html")
