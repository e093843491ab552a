"""Plain text files (``.txt``): decoded as the seeds always were (:func:`qa.corpus.decode`)."""

from __future__ import annotations

from qa.ingest.readers import Extracted, Options


def read(data: bytes, name: str, options: Options) -> Extracted:
    """Decode a text file (UTF-8 with or without BOM, GB18030 or Big5).

    Raises:
        SeedsError: The file is binary, empty or not decodable.
    """
    from qa.ingest.decode import decode

    text, encoding = decode(data, name)
    return Extracted(text=text, encoding=encoding)
