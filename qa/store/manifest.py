"""The manifest of one index build: what it was built from and how, and its files' checksums.

``manifest.json`` in each build folder is read and written here only, as a :class:`Manifest`.
Its values are kept as they were read: a damaged manifest may hold a value of another type
where the build writes the one annotated, and the readers (``qa.store.folder.stale_reasons``, the
reuse of old vectors) compare them with what they expect instead of trusting them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The manifest's file name in a build folder.
MANIFEST = "manifest.json"


class DamagedManifest(Exception):
    """The manifest is JSON, but not of the shape a build writes."""


@dataclass(frozen=True)
class ModelInfo:
    """The embedding model the passages were encoded with."""

    name: str | None = None
    dim: int | None = None


@dataclass(frozen=True)
class Counts:
    """How much the build holds."""

    documents: int = 0
    chunks: int = 0
    #: Dense vectors: one per sentence window of each chunk.
    dense_rows: int = 0


@dataclass(frozen=True)
class Manifest:
    """One build's manifest (see :func:`qa.store.build.build_index`)."""

    format_version: int | None = None
    #: :func:`qa.versions.pipeline_version` of the code that built it.
    pipeline: str | None = None
    model: ModelInfo = ModelInfo()
    #: ``{"min_chars", "max_chars", "overlap"}`` of the chunker.
    chunking: dict[str, int] | None = None
    dense_window_sentences: int | None = None
    #: SHA-256 of each seed file, by path relative to the seeds folder.
    seeds: dict[str, str] = field(default_factory=dict)
    #: The files left out, as :class:`qa.ingest.corpus.Skipped` fields.
    skipped: list[dict[str, Any]] = field(default_factory=list)
    counts: Counts = Counts()
    #: What :func:`qa.store.dense.make_dense_index` built: ``{"type": "flat"}`` or HNSW parameters.
    dense: dict[str, Any] = field(default_factory=dict)
    built_at: str = ""
    build_seconds: float = 0.0
    #: SHA-256 of each file of the build (but the manifest), by path in the build folder.
    artifacts: dict[str, str] = field(default_factory=dict)

    @property
    def hnsw(self) -> bool:
        """Whether the dense index is an HNSW graph (not exact search)."""
        return self.dense.get("type") == "hnsw"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """The manifest of parsed JSON, which must be :func:`well_formed`; missing parts take
        their defaults."""
        model = data.get("model", {})
        counts = data.get("counts", {})
        return cls(
            format_version=data.get("format_version"),
            pipeline=data.get("pipeline"),
            model=ModelInfo(name=model.get("name"), dim=model.get("dim")),
            chunking=data.get("chunking"),
            dense_window_sentences=data.get("dense_window_sentences"),
            seeds=data.get("seeds", {}),
            skipped=data.get("skipped", []),
            counts=Counts(
                documents=counts.get("documents", 0),
                chunks=counts.get("chunks", 0),
                dense_rows=counts.get("dense_rows", 0),
            ),
            dense=data.get("dense", {}),
            built_at=data.get("built_at", ""),
            build_seconds=data.get("build_seconds", 0.0),
            artifacts=data.get("artifacts", {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to ``manifest.json``, its keys in this order."""
        return {
            "format_version": self.format_version,
            "pipeline": self.pipeline,
            "model": {"name": self.model.name, "dim": self.model.dim},
            "chunking": self.chunking,
            "dense_window_sentences": self.dense_window_sentences,
            "seeds": self.seeds,
            "skipped": self.skipped,
            "counts": {
                "documents": self.counts.documents,
                "chunks": self.counts.chunks,
                "dense_rows": self.counts.dense_rows,
            },
            "dense": self.dense,
            "built_at": self.built_at,
            "build_seconds": self.build_seconds,
            "artifacts": self.artifacts,
        }

    @classmethod
    def read(cls, build: Path) -> Manifest:
        """The manifest of a build folder.

        Raises:
            OSError: It cannot be read.
            ValueError: It is not JSON (or not UTF-8).
            DamagedManifest: It is JSON of another shape.
        """
        data = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        # A damaged manifest can still be JSON: only an object with well-formed parts counts.
        if not well_formed(data):
            raise DamagedManifest(f"{build / MANIFEST} is not of the shape a build writes")
        return cls.from_dict(data)

    def write(self, build: Path) -> None:
        """Write the manifest into a build folder."""
        (build / MANIFEST).write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )


#: The manifest's parts that readers index into, and their JSON types.
_PARTS = (
    ("model", dict),
    ("seeds", dict),
    ("artifacts", dict),
    ("counts", dict),
    ("dense", dict),
    ("skipped", list),
)


def well_formed(data: Any) -> bool:
    """Whether parsed JSON has the shape a build writes (its values aside)."""
    if not isinstance(data, dict):
        return False
    return all(isinstance(data.get(key, kind()), kind) for key, kind in _PARTS)
