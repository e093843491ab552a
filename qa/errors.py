"""The few exceptions the package raises on purpose.

The CLI prints them as one line and exits non-zero; the page shows them as a message.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""


class SeedsError(QAError):
    """The seeds folder is missing, empty, or holds no readable document."""


class ModelError(QAError):
    """The embedding model could not be loaded (not installed, not found, or broken)."""


class IndexUnavailable(QAError):
    """The index is missing, unreadable or corrupt (rebuild it with ``qa build``)."""


class StoreError(QAError):
    """The vector store (Milvus) cannot be used: unreachable, credentials refused, collection
    missing, or too slow to answer. Its message is one line, in Chinese and English, and never
    holds the token."""


class QuestionError(QAError):
    """The question cannot be searched (empty, or nothing searchable left after cleaning)."""


class RequestError(QuestionError):
    """A request to the page's API is malformed (a wrong type, or out of bounds).

    Its message is one line, in Chinese and English, and safe to send back to the client.
    """


class DocumentError(QAError):
    """A document cannot be added to the seeds folder or removed from it (the message, in
    Chinese and English, names the file and why)."""
