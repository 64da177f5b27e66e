"""The development set's grading (bench/qaset/score.py) and the integrity of its questions."""

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from bench.qaset.questions import CATEGORIES, QUESTIONS, GoldQuestion
from bench.qaset.score import evidence_hit, grade, has_keyword, item_hits, keywords_match, normalise, not_enough_pr, summarise
from bench.qaset.script import WEEK, line_ids

T0 = datetime(2026, 11, 26, 7, 35, tzinfo=UTC)


def _item(start_s: float, end_s: float) -> dict:
    return {"start": (T0 + timedelta(seconds=start_s)).isoformat(), "end": (T0 + timedelta(seconds=end_s)).isoformat()}


@pytest.mark.parametrize("answer,keyword,expected", [
    ("The code is 9204.", "9204", True),
    ("It's now nine two zero four", "9204", False),           # words are not digits: list both forms in gold
    ("It's now nine two zero four", "nine two zero four", True),
    ("the code is 9 2 0 4", "9204", True),                    # ASR spacing between digits
    ("about 40 ,000 people", "40000", True),
    ("It leaves at 8:15.", "8:15", True),
    ("It leaves at 8.15", "8:15", True),
    ("It leaves at 815", "8:15", False),                      # gold lists "815" itself where it is fair
    ("codes 9204, 3816", "3816", True),                       # numbers next to each other stay apart
    ("Not enough evidence", "no", False),                     # whole words only
    ("no, he is back", "no", True),
    ("Priya's teeth are fine", "priya", True),
    ("Kimberly called", "kim", False),
])
def test_has_keyword(answer, keyword, expected):
    assert has_keyword(answer, keyword) is expected


def test_normalise_forms():
    assert normalise("It's 8:15!") == (" it s 8 15 ", " it s 8 15 ")
    assert normalise("9 2 0 4 and 40 ,000") == (" 9 2 0 4 and 40000 ", " 9204 and 40000 ")


def test_keywords_match_needs_every_group():
    groups = (("7",), ("3",))
    assert keywords_match("open 7 to 3", groups)
    assert not keywords_match("open from 7", groups)
    assert not keywords_match("anything", ())


def test_keywords_match_wrong_option_must_not_lead():
    new, old = (("9204", "nine two zero four"),), ("3816",)
    assert keywords_match("9204 - said by Tom (it was 3816 before)", new, old)
    assert not keywords_match("3816, changed on Thursday to 9204", new, old)
    assert keywords_match("It is nine two zero four now", new, old)
    assert not keywords_match("Yes. He'll be back on Thursday.", (("no", "back"),), ("yes",))
    assert keywords_match("No, he got back on Thursday.", (("no", "back"),), ("yes",))
    assert not keywords_match("Priya said Hannah is coming", (("hannah",),), ("priya",))


def test_item_hits_overlap_pad_and_breadth():
    span = (T0 + timedelta(seconds=10), T0 + timedelta(seconds=14))
    assert item_hits(_item(0, 11), span)
    assert item_hits(_item(15, 20), span)           # within the 2 s slack
    assert not item_hits(_item(17, 30), span)
    assert not item_hits(_item(-3600, 3600), span)  # an hour-long story covers it but does not count


def test_evidence_hit_modes_and_top5():
    a = (T0 + timedelta(seconds=10), T0 + timedelta(seconds=12))
    b = (T0 + timedelta(seconds=40), T0 + timedelta(seconds=42))
    far = _item(100, 105)
    assert evidence_hit([_item(9, 13)], [a, b], "any")
    assert not evidence_hit([_item(9, 13)], [a, b], "all")
    assert evidence_hit([_item(9, 13), _item(39, 43)], [a, b], "all")
    assert not evidence_hit([far] * 5 + [_item(9, 13)], [a], "any")  # sixth item is beyond the top 5
    assert not evidence_hit([_item(9, 13)], [], "any")


def test_grade_answerable_needs_sufficient_and_keywords():
    q = GoldQuestion("x-01", "numbers_codes", "code?", (("9204",),), ("s",))
    spans = {"s": (T0, T0 + timedelta(seconds=3))}
    ev = [_item(0, 5)]
    assert grade(q, {"answer": "9204", "sufficient": True, "evidence": ev}, spans) == {"correct": True, "hit5": True}
    assert grade(q, {"answer": "9204", "sufficient": False, "evidence": ev}, spans)["correct"] is False
    assert grade(q, {"answer": "3816", "sufficient": True, "evidence": []}, spans) == {"correct": False, "hit5": False}


def test_grade_unanswerable_and_not_enough_pr():
    q = GoldQuestion("u-01", "unanswerable", "car colour?")
    assert grade(q, {"answer": "Not enough evidence", "sufficient": False, "evidence": []}) == {"correct": True, "hit5": None}
    rows = [{"category": "unanswerable", "sufficient": False}, {"category": "unanswerable", "sufficient": True},
            {"category": "count", "sufficient": False}, {"category": "count", "sufficient": True}]
    assert not_enough_pr(rows) == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5}


def test_summarise_lines():
    rows = [{"category": "count", "correct": True, "hit5": True, "sufficient": True},
            {"category": "count", "correct": False, "hit5": False, "sufficient": True},
            {"category": "unanswerable", "correct": True, "hit5": None, "sufficient": False}]
    out = summarise(rows)
    assert [o["category"] for o in out] == ["count", "unanswerable", "TOTAL", "NOT_ENOUGH"]
    assert out[0] == {"category": "count", "n": 2, "hit5": 0.5, "acc": 0.5}
    assert out[1]["hit5"] is None and out[2] == {"category": "TOTAL", "n": 3, "hit5": 0.5, "acc": 0.667}


def test_question_set_shape():
    ids = line_ids()
    cats = {q.category for q in QUESTIONS}
    assert len(QUESTIONS) >= 80 and cats == set(CATEGORIES) and len(cats) >= 10
    assert sum(not q.answerable for q in QUESTIONS) >= 10
    assert len({q.qid for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert all(e in ids for e in q.evidence), q.qid
        assert q.answerable == bool(q.keywords) == bool(q.evidence), q.qid
        assert q.mode in ("any", "all")


def test_week_shape():
    assert len({c.day for c in WEEK}) >= 5
    voices = {ln.voice for c in WEEK for ln in c.lines}
    assert len(voices) >= 3
    intros = [ln for c in WEEK for ln in c.lines if "this is tom" in ln.text.lower()]
    assert len(intros) == 1  # Tom names himself exactly once
    assert sum(1 for c in WEEK for _ in c.signs) >= 4
    assert len({ln.id for c in WEEK for ln in c.lines}) == sum(len(c.lines) for c in WEEK)


def test_calibration_split_is_stratified_and_disjoint():
    from bench.qa_calibrate import split_halves

    fit, held = split_halves(QUESTIONS)
    assert {q.qid for q in fit}.isdisjoint({q.qid for q in held})
    assert len(fit) + len(held) == len(QUESTIONS)
    for cat in CATEGORIES:  # every category is in both halves, split as evenly as its size allows
        n_fit = sum(q.category == cat for q in fit)
        n_held = sum(q.category == cat for q in held)
        assert n_fit >= 1 and n_held >= 1 and 0 <= n_fit - n_held <= 1
    assert split_halves(list(reversed(QUESTIONS))) == (fit, held)  # independent of input order


@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="needs espeak-ng and ffmpeg")
def test_render_chunk_manifest(tmp_path):
    """One two-line chunk with a sign: the file exists, spans are ordered, inside the media and the
    sign window, and wall-clock spans are the chunk start plus the media offsets."""
    from bench.qaset.media import render_chunk
    from bench.qaset.script import SIGN_WINDOW_S, Chunk, Line

    chunk = Chunk(1, "09:05", "day2.mp4", (Line("a", "tom", "Hello there."), Line("b", "priya", "Good morning.")),
                  (("s", "EXIT 3"),))
    entry = render_chunk(chunk, tmp_path, seed=7)
    assert (tmp_path / "d1-0905.mp4").stat().st_size > 0
    spans = {s["id"]: s for s in entry["spans"]}
    assert spans["a"]["media_end_s"] < spans["b"]["media_start_s"] < spans["b"]["media_end_s"] <= entry["duration_s"]
    assert (spans["s"]["media_start_s"], spans["s"]["media_end_s"]) == SIGN_WINDOW_S
    start = datetime.fromisoformat(spans["b"]["start"])
    assert start == chunk.start + timedelta(seconds=spans["b"]["media_start_s"])
    assert chunk.start == datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
