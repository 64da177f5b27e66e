"""Fit the agent's sufficiency thresholds on half of the development set; report on the other half.

The thresholds are ``RetrievalSettings.min_evidence_score`` and ``sufficient_score`` (see
``SearchContext.is_evidence``). The development questions are split deterministically: within each
category, questions in qid order alternate fit / held-out. For every grid point the fit half is
asked through the live agent (the same code as ``vidmem ask``) on an ingested home (``bench/qa.py
--ingest-only`` first); the point with the best answer accuracy on the fit half (ties: best F1 of
"not enough evidence" as a detector of unanswerable questions, then nearest to the current
defaults) is then compared with the defaults on the held-out half. Prints JSON lines.

    python -m bench.qa_calibrate [--home DIR] [--min 0.30 0.35 0.40] [--suff 0.45 0.50 0.55 0.60]
    python -m bench.qa_calibrate --typed [--rescue 0.34 0.5 0.67 1.0]   # typed sufficiency off / on at each alignment
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.qa import DEFAULT_HOME, _open_runtime, ask_questions


def split_halves(questions) -> tuple[list, list]:
    """``(fit, held_out)``: within each category, by qid order, even positions fit, odd held out."""
    fit, held = [], []
    by_cat: dict[str, list] = {}
    for q in sorted(questions, key=lambda q: q.qid):
        by_cat.setdefault(q.category, []).append(q)
    for qs in by_cat.values():
        for i, q in enumerate(qs):
            (fit if i % 2 == 0 else held).append(q)
    return fit, held


def evaluate(rt, questions, min_score: float, suff_score: float, **extra) -> dict:
    """Ask ``questions`` with the two thresholds (and any other ``RetrievalSettings`` fields in
    ``extra``, e.g. ``typed_sufficiency``, ``typed_rescue_alignment``) set on ``rt.agent``; returns
    ``{"min_evidence_score", "sufficient_score", **extra, "n", "acc", "nee": {tp, fp, fn, precision,
    recall}, "f1"}``."""
    from bench.qaset.questions import QUESTIONS
    from bench.qaset.score import grade, not_enough_pr

    gold = {q.qid: q for q in QUESTIONS}
    base = rt.agent.settings
    rt.agent.settings = base.model_copy(update={"min_evidence_score": min_score, "sufficient_score": suff_score, **extra})
    try:
        rows = ask_questions(rt, questions)
    finally:
        rt.agent.settings = base
    for r in rows:
        r.update(grade(gold[r["qid"]], r))
    nee = not_enough_pr(rows)
    p, r_ = nee["precision"] or 0.0, nee["recall"] or 0.0
    return {"min_evidence_score": min_score, "sufficient_score": suff_score, **extra, "n": len(rows),
            "acc": round(sum(r["correct"] for r in rows) / len(rows), 3), "nee": nee,
            "f1": round(2 * p * r_ / (p + r_), 3) if p + r_ else 0.0}


def main() -> None:
    """CLI entry point; see the module docstring."""
    from bench.qaset.questions import QUESTIONS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME)
    ap.add_argument("--min", type=float, nargs="+", default=[0.30, 0.35, 0.40])
    ap.add_argument("--suff", type=float, nargs="+", default=[0.45, 0.50, 0.55, 0.60])
    ap.add_argument("--typed", action="store_true",
                    help="sweep the typed sufficiency instead (off, and on at each --rescue alignment) at the default thresholds")
    ap.add_argument("--rescue", type=float, nargs="+", default=[0.34, 0.5, 0.67, 1.0])
    args = ap.parse_args()
    fit, held = split_halves(QUESTIONS)
    rt = _open_runtime(args.home)
    if args.typed:
        try:
            _typed_sweep(rt, fit, held, args.rescue)
        finally:
            rt.close()
        return
    try:
        d_min, d_suff = rt.agent.settings.min_evidence_score, rt.agent.settings.sufficient_score
        results = []
        for m in args.min:
            for s in args.suff:
                if m > s:
                    continue
                res = evaluate(rt, fit, m, s)
                results.append(res)
                print(json.dumps({"half": "fit", **res}), flush=True)
        best = max(results, key=lambda r: (r["acc"], r["f1"], -abs(r["min_evidence_score"] - d_min)
                                           - abs(r["sufficient_score"] - d_suff)))
        print(json.dumps({"chosen": [best["min_evidence_score"], best["sufficient_score"]]}), flush=True)
        for label, (m, s) in (("held_default", (d_min, d_suff)), ("held_chosen", (best["min_evidence_score"], best["sufficient_score"]))):
            print(json.dumps({"half": label, **evaluate(rt, held, m, s)}), flush=True)
    finally:
        rt.close()


def _typed_sweep(rt, fit, held, alignments: list[float]) -> None:
    """Typed sufficiency (``retrieval/sufficiency.py``) off, and on at each rescue alignment, on the
    fit half; the best on the fit half (accuracy, then F1 of "not enough evidence", then nearest to
    the default) against "off" and the default on the held-out half."""
    s = rt.agent.settings
    m, su, default = s.min_evidence_score, s.sufficient_score, s.typed_rescue_alignment
    points = [{"typed_sufficiency": False}] + [{"typed_sufficiency": True, "typed_rescue_alignment": a} for a in alignments]
    results = []
    for p in points:
        res = evaluate(rt, fit, m, su, **p)
        results.append((p, res))
        print(json.dumps({"half": "fit", **res}), flush=True)
    best = max(results, key=lambda pr: (pr[1]["acc"], pr[1]["f1"], -abs(pr[0].get("typed_rescue_alignment", 9) - default)))[0]
    print(json.dumps({"chosen": best}), flush=True)
    for label, p in (("held_off", points[0]), ("held_default", {"typed_sufficiency": True, "typed_rescue_alignment": default}),
                     ("held_chosen", best)):
        print(json.dumps({"half": label, **evaluate(rt, held, m, su, **p)}), flush=True)


if __name__ == "__main__":
    main()
