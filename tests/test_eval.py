"""Retrieval quality on the evaluation set, with the default model (hybrid + translation).

The bounds sit a question or two below what ``qa eval`` measures (docs/retrieval.md), so that
a change that makes retrieval worse fails here, and a harmless reshuffle does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.app.evaluate import (
    evaluate,
    evaluate_followups,
    format_table,
    load_conversations,
    load_questions,
)

# The bar: R@5 at least 0.95 overall and 0.90 for English, with the default model.
# Measured 2026-12-03 (hybrid+translate, use-multilingual, two-sentence windows): R@5 all
# 0.965 (82/85), english 1.0, simplified 1.0, traditional 1.0, pinyin 1.0, paraphrase 0.812;
# R@1 all 0.718, MRR 0.810; "none" rejected 49/55 (questions.jsonl 9/10, negatives.jsonl
# 40/45), answerable flagged weak 11/85.
MIN_RECALL_AT_5 = {
    "all": 0.95,
    "english": 0.93,
    "simplified": 0.93,
    "traditional": 0.90,
    "pinyin": 0.85,
    "paraphrase": 0.68,
}
MIN_RECALL_AT_1_ALL = 0.69
MIN_MRR_ALL = 0.76
MIN_NONE_REJECTED = 0.82  # share of the "none" questions reported as nothing found
MAX_ANSWERABLE_WEAK = 0.12  # share of answerable questions reported as nothing found (8/85)
#: Questions about things the corpus does not contain, many close to its topics.
EVAL_DIR = Path(__file__).resolve().parent / "eval"
DEFAULT_FILE = EVAL_DIR / "questions.jsonl"
FOLLOWUPS_FILE = EVAL_DIR / "followups.jsonl"
NEGATIVES_FILE = EVAL_DIR / "negatives.jsonl"
#: Sets no setting was chosen on: held-out (written with the tuning set, kept aside) and
#: blind (written by someone who saw neither the other sets nor the code). Measured
#: 2026-12-03 with use-multilingual and two-sentence windows: R@5 0.932 (68/73) and 0.929
#: (65/70); R@1 0.781 and 0.800.
#: (The fusion grid for this model printed their totals: docs/retrieval.md.)
MIN_UNSEEN_RECALL_AT_5 = {"holdout.jsonl": 0.90, "blind.jsonl": 0.90}
MIN_UNSEEN_RECALL_AT_1 = {"holdout.jsonl": 0.75, "blind.jsonl": 0.77}
#: The embedder alone (``--mode semantic``) on the held-out set: measured 0.753 (55/73) with
#: use-multilingual and two-sentence windows (0.712 with one vector per chunk), where
#: all-MiniLM-L6-v2 found 0.205.
MIN_SEMANTIC_HOLDOUT_RECALL_AT_5 = 0.72
#: The page's semantic mode, which also embeds the question in corpus words (English and
#: pinyin spans translated), ranks the document the question names first and keeps
#: overlapping passages: held-out 0.836 (61/73), English 0.769 (20/26), pinyin 1.0 (session 11).
MIN_SEMANTIC_TRANSLATE_HOLDOUT_RECALL_AT_5 = 0.81


@pytest.fixture(scope="module")
def rows(real_service):
    questions = load_questions(DEFAULT_FILE) + load_questions(NEGATIVES_FILE)
    result = evaluate(real_service, questions, [("hybrid+translate", "hybrid", True)])
    print("\n" + format_table(result))
    return {r.group: r for r in result}


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(MIN_RECALL_AT_5))
def test_recall_at_5(rows, group):
    assert rows[group].recall_at_5 >= MIN_RECALL_AT_5[group], rows[group]


@pytest.mark.slow
def test_recall_at_1_and_mrr(rows):
    assert rows["all"].recall_at_1 >= MIN_RECALL_AT_1_ALL, rows["all"]
    assert rows["all"].mrr_at_10 >= MIN_MRR_ALL, rows["all"]


@pytest.mark.slow
def test_knowing_when_nothing_matches(rows):
    none, answerable = rows["none"], rows["all"]
    assert none.weak >= MIN_NONE_REJECTED * none.n, none
    assert answerable.weak <= MAX_ANSWERABLE_WEAK * answerable.n, answerable


@pytest.mark.slow
def test_lexical_query_path_is_fast(real_service):
    # Normalising, tokenising, translating, word and character BM25 and the weak flag: all but
    # the dense encoder, whose time depends on the machine's load.
    questions = load_questions(DEFAULT_FILE)
    result = evaluate(real_service, questions, [("keyword+translate", "keyword", True)])
    everything = next(r for r in result if r.group == "all")
    assert everything.p95_ms < 50, everything


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MIN_UNSEEN_RECALL_AT_5))
def test_unseen_question_sets(real_service, name):
    questions = load_questions(DEFAULT_FILE.parent / name)
    result = evaluate(real_service, questions, [("hybrid+translate", "hybrid", True)])
    everything = next(r for r in result if r.group == "all")
    print("\n" + format_table(result))
    assert everything.recall_at_5 >= MIN_UNSEEN_RECALL_AT_5[name], everything
    assert everything.recall_at_1 >= MIN_UNSEEN_RECALL_AT_1[name], everything


@pytest.mark.slow
def test_the_embedder_alone_finds_chinese_and_english(real_service):
    questions = load_questions(DEFAULT_FILE.parent / "holdout.jsonl")
    result = evaluate(real_service, questions, [("semantic", "semantic", False)])
    everything = next(r for r in result if r.group == "all")
    english = next(r for r in result if r.group == "english")
    print("\n" + format_table(result))
    assert everything.recall_at_5 >= MIN_SEMANTIC_HOLDOUT_RECALL_AT_5, everything
    assert english.recall_at_5 >= 0.6, english  # MiniLM: 0.154


@pytest.mark.slow
def test_semantic_mode_embeds_the_question_in_corpus_words(real_service):
    questions = load_questions(DEFAULT_FILE.parent / "holdout.jsonl")
    configs = [("semantic", "semantic", False), ("semantic+translate", "semantic", True)]
    result = {(r.config, r.group): r for r in evaluate(real_service, questions, configs)}
    plain, rendered = result["semantic", "all"], result["semantic+translate", "all"]
    assert rendered.recall_at_5 >= MIN_SEMANTIC_TRANSLATE_HOLDOUT_RECALL_AT_5, rendered
    assert rendered.recall_at_5 > plain.recall_at_5, (plain, rendered)
    pinyin = result["semantic+translate", "pinyin"], result["semantic", "pinyin"]
    assert pinyin[0].recall_at_5 > pinyin[1].recall_at_5, pinyin


#: Answers composed from the passages shown (qa eval's ans / cites columns), measured
#: 2026-12-05 (session 10): tuning 0.788 (67/85), held-out 0.616 (45/73), follow-ups 0.897
#: (52/58 turns), followups-holdout 0.894 (42/47), followups-2 0.75 (45/60); every [n] holds
#: what it marks. No answer claimed for "none" questions: tuning 9/10 with negatives 43/45,
#: held-out 8/10, near misses 32/40. Each guard is about two questions below. (Tuned on:
#: tuning, negatives, follow-ups, followups-holdout and near misses, whose misses were read;
#: held-out and followups-2 totals only.)
MIN_ANSWER_ACCURACY = {"questions.jsonl": 0.76, "holdout.jsonl": 0.59}
MIN_FOLLOWUP_ACCURACY = 0.86
#: The second and third conversation sets: followups-holdout.jsonl (a tuning set since
#: 2026-12-04) and followups-2.jsonl (held out, totals only: 0.717 when it was written).
MIN_HELDOUT_FOLLOWUP_ACCURACY = {"followups-holdout.jsonl": 0.85, "followups-2.jsonl": 0.71}
MIN_NEAR_MISS_WITHHELD = 0.75


@pytest.mark.slow
def test_answers_hold_the_gold_and_cite_exactly(rows, real_service):
    assert rows["all"].answer_accuracy >= MIN_ANSWER_ACCURACY["questions.jsonl"], rows["all"]
    assert rows["all"].citation_precision == 1.0, rows["all"]
    assert rows["none"].answer_accuracy >= 50 / 55, rows["none"]  # no answer claimed
    held = evaluate(
        real_service,
        load_questions(DEFAULT_FILE.parent / "holdout.jsonl"),
        [("hybrid+translate", "hybrid", True)],
    )
    everything = next(r for r in held if r.group == "all")
    assert everything.answer_accuracy >= MIN_ANSWER_ACCURACY["holdout.jsonl"], everything
    assert everything.citation_precision == 1.0, everything


@pytest.mark.slow
def test_followups_and_near_misses(real_service):
    turns = {
        r.group: r for r in evaluate_followups(real_service, load_conversations(FOLLOWUPS_FILE))
    }
    assert turns["all"].answer_accuracy >= MIN_FOLLOWUP_ACCURACY, turns["all"]
    assert turns["all"].citation_precision == 1.0, turns["all"]
    assert turns["no-context"].answer_accuracy >= 0.8, turns["no-context"]
    for name, least in MIN_HELDOUT_FOLLOWUP_ACCURACY.items():
        more = evaluate_followups(real_service, load_conversations(DEFAULT_FILE.parent / name))
        more_all = next(r for r in more if r.group == "all")
        assert more_all.answer_accuracy >= least, (name, more_all)
        assert more_all.citation_precision == 1.0, (name, more_all)
    near = evaluate(
        real_service,
        load_questions(DEFAULT_FILE.parent / "nearmiss.jsonl"),
        [("hybrid+translate", "hybrid", True)],
    )
    none = next(r for r in near if r.group == "none")
    assert none.answer_accuracy >= MIN_NEAR_MISS_WITHHELD, none
