"""The package's layout: stage folders, imports that only run down, modules of one size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parent.parent / "qa"

#: Pipeline stages, lowest first: each may import only itself, the ones before it and the
#: shared modules at the top of qa/.
STAGES = ("ingest", "store", "query", "search", "answer", "app")
SHARED = {"text", "files", "settings", "tuning", "errors", "versions"}


def _modules() -> list[Path]:
    return sorted(p for p in QA.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(QA.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every qa module a file imports, at the top or inside a function or TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "qa")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] == "qa"
        ):
            found.add(node.module)
            # `from qa.store import index` names a module.
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _layer(module: str) -> int:
    """A module's stage (0 for ingest …), -1 for the shared modules at the top."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in SHARED or parts[1] in {"__main__"}:
        return -1
    if parts[1] not in STAGES:
        raise AssertionError(f"{module} is in no stage folder")
    return STAGES.index(parts[1])


def test_every_module_is_in_a_stage_or_shared() -> None:
    for path in _modules():
        name = _name(path)
        parts = name.split(".")
        if len(parts) == 1 or (len(parts) == 2 and parts[1] in SHARED | {"__main__"}):
            continue
        assert parts[1] in STAGES, f"{name} is neither shared nor in a stage folder"


def test_imports_only_run_down_the_pipeline() -> None:
    upward = []
    for path in _modules():
        name = _name(path)
        if name in {"qa", "qa.__main__"}:
            continue
        own = _layer(name)
        for target in _imports(path):
            if target == "qa" or not (QA.parent / target.replace(".", "/")).with_suffix(
                ".py"
            ).exists() and not (QA.parent / target.replace(".", "/")).is_dir():
                continue  # a name imported from a module, not a module
            theirs = _layer(target)
            if own == -1 and theirs != -1:
                upward.append(f"{name} (shared) imports {target}")
            elif theirs > own:
                upward.append(f"{name} ({STAGES[own]}) imports {target} ({STAGES[theirs]})")
    assert not upward, "imports running back up the pipeline:\n" + "\n".join(upward)


def test_the_import_check_sees_an_upward_import(tmp_path: Path) -> None:
    # The walker must find imports inside functions, where the lazy ones are.
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from qa.app.service import QAService\n", encoding="utf-8")
    assert "qa.app.service" in _imports(src)
    assert _layer("qa.app.service") > _layer("qa.store.index")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _name(p))
def test_module_opens_with_a_docstring(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{_name(path)} has no opening docstring"


def test_only_the_page_imports_gradio() -> None:
    users = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "gradio" for n in names):
                users.append(_name(path))
    assert all(u == "qa.app.ui" or u.startswith("qa.app.ui.") for u in users), users
