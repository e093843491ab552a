"""Entry point for the web page: `python app.py` (what `make run` does)."""

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa.app.cli import configure_logging  # noqa: E402
from qa.app.ui import launch  # noqa: E402  (the environment must be set before gradio loads)

if __name__ == "__main__":
    configure_logging(logging.INFO)
    launch()
