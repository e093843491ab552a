"""Offline question answering over a folder of Chinese documents, with cited passages."""

__version__ = "0.1.0"
