"""The web page (Gradio), the only part of ``qa`` that imports gradio: the layout and its
serving settings (:mod:`qa.app.ui.layout`) and what its events do (:mod:`qa.app.ui.callbacks`).
The HTML it shows is made by :mod:`qa.app.render`, which needs no gradio.
"""

from qa.app.ui.callbacks import Page
from qa.app.ui.layout import (
    CSS,
    SWITCH_INTERVAL_S,
    build_app,
    configure_serving,
    document_controls,
    launch,
    make_theme,
)

__all__ = [
    "CSS",
    "SWITCH_INTERVAL_S",
    "Page",
    "build_app",
    "configure_serving",
    "document_controls",
    "launch",
    "make_theme",
]
