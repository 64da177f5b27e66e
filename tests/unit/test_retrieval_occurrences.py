"""Occurrence verification (memory_core.retrieval.occurrences): the sentence units of a clip text,
and the calibration of OCCURRENCE_SCORE on the packaged MiniLM.

The calibration table holds everyday activities with paraphrases (+) and hard negatives (-: the
same object with another action, or the same action on another object). It is the table the
threshold was chosen on (F1-best); the test keeps it honest when the embedder, the lexical scorer
or the threshold change. None of these sentences occur in the retrieval tests.
"""

from __future__ import annotations

import numpy as np
import pytest

import building_support as bs
from memory_core.retrieval.context import Query
from memory_core.retrieval.lexical import LexicalScorer
from memory_core.retrieval.occurrences import OCCURRENCE_SCORE, gate_words, sentence_scores, sentence_units
from memory_core.retrieval.question import extract_keywords
from memory_core.settings import RetrievalSettings

CALIBRATION = {
    "I feed the cat": (["I gave the cat her dinner.", "Fed the kitty just now.", "The cat got its food bowl filled."],
                       ["The cat is sleeping on the sofa.", "I fed the dog.", "I bought cat litter at the shop."]),
    "take out the trash": (["I took the rubbish out to the bin.", "Taking the garbage outside now."],
                           ["The trash can is full.", "I cleaned the kitchen floor.", "I took the dog out for a walk."]),
    "go for a run": (["Just back from my morning jog.", "I went running along the river."],
                     ["My running shoes are by the door.", "I went for a swim.", "I walked to the bus stop."]),
    "call mum": (["I phoned my mother this morning.", "Had a call with Mum."],
                 ["Mum sent me a letter.", "I called the plumber.", "My phone battery is dead."]),
    "charge the car": (["I plugged the car in to charge.", "The car is charging in the garage now, I plugged it in."],
                       ["I washed the car.", "The car is parked outside.", "I charged my phone."]),
    "water the garden": (["I watered the flower beds.", "Gave the vegetables a good soak with the hose."],
                         ["It rained in the garden all day.", "I mowed the lawn.", "I drank a glass of water."]),
    "drink coffee": (["Having my first coffee of the day.", "I made an espresso and drank it."],
                     ["The coffee machine is broken.", "I drank some orange juice.", "We ran out of coffee beans."]),
    "lock the front door": (["I locked the front door.", "Front door is locked now, I turned the key."],
                            ["The front door is painted blue.", "I locked the back gate.", "Someone knocked at the front door."]),
    "take my medication": (["I took my pills with breakfast.", "Swallowed my tablets this morning."],
                           ["The pharmacy is closed.", "I forgot my umbrella.", "I took the bus to work."]),
    "walk the dog": (["Took the dog out around the park.", "Walking the dog now."],
                     ["The dog is barking at the postman.", "I fed the dog.", "I walked to the office."]),
    "do the laundry": (["I put a load of washing in the machine.", "Hung the clothes out to dry."],
                       ["The washing machine is making a noise.", "I bought a new shirt.", "I washed the dishes."]),
    "cook dinner": (["I made pasta for dinner tonight.", "Cooking the evening meal now."],
                    ["Dinner was delicious at the restaurant.", "I cooked breakfast.", "We ordered a takeaway."]),
}


def test_sentence_units_unwrap_speech_and_drop_picture_notes():
    text = ("Ann Lee said: 'I fed the cat. It purred.' Tom said: 'Good.' On screen: EXIT 4. "
            "People visible: Ann Lee. Bright scene, mostly white.")
    assert sentence_units(text) == ["I fed the cat.", "It purred.", "Good.", "On screen: EXIT 4."]
    assert sentence_units("No speech. Dim scene, mostly grey.") == []


@pytest.fixture(scope="module")
def scored():
    """``(positive?, score, matched by the word gate)`` for every calibration sentence."""
    emb = bs.embedder()
    weight = RetrievalSettings().lexical_weight
    rows = []
    for text, (pos, neg) in CALIBRATION.items():
        query = Query(text, np.asarray(emb.embed_query(text), dtype=np.float32), LexicalScorer(extract_keywords(text)))
        scores, matched = sentence_scores(query, pos + neg, emb, weight)
        rows += [(i < len(pos), float(sc), bool(ok)) for i, (sc, ok) in enumerate(zip(scores, matched))]
    return rows


def _pr(rows, threshold, gate=True):
    hit = [(pos, s >= threshold and (ok or not gate)) for pos, s, ok in rows]
    tp = sum(1 for pos, h in hit if pos and h)
    fp = sum(1 for pos, h in hit if not pos and h)
    return tp / max(1, tp + fp), tp / sum(1 for pos, _ in hit if pos)


def test_occurrence_threshold_is_calibrated(scored):
    precision, recall = _pr(scored, OCCURRENCE_SCORE)
    assert recall >= 0.8 and precision >= 0.7, (precision, recall)
    assert precision >= _pr(scored, OCCURRENCE_SCORE, gate=False)[0]  # the word gate never costs precision

    def f1(t):
        p, r = _pr(scored, t)
        return 2 * p * r / max(1e-9, p + r)

    grid = [round(0.40 + 0.01 * i, 2) for i in range(31)]
    best = max(f1(t) for t in grid)
    assert f1(OCCURRENCE_SCORE) >= best - 0.02  # still (near) the F1-best threshold of the table


def test_the_word_gate_needs_the_action_not_only_the_object():
    emb = bs.embedder()
    text = "I fix the printer"
    query = Query(text, np.asarray(emb.embed_query(text), dtype=np.float32), LexicalScorer(extract_keywords(text)))
    assert gate_words(query) == ["fix", "printer"]
    sentences = ["I repaired the printer.", "I fixed it, the printer works.", "I sold the printer.", "I fixed the fence."]
    _, matched = sentence_scores(query, sentences, emb, RetrievalSettings().lexical_weight)
    assert matched.tolist() == [True, True, False, False]
    named = Query("did Priya fix the printer", query.vector, LexicalScorer(extract_keywords("did Priya fix the printer")))
    assert gate_words(named) == ["fix", "printer"]  # a name need not be said in the sentence


# ---------------------------------------------------------------- people, indefinite pronouns, moments
def _clip(cid: str, text: str, entity_ids=(), start_s: float = 0.0):
    from datetime import UTC, datetime, timedelta

    from api_schemas import Kind, Level
    from memory_core.retrieval.context import Scored

    t0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC) + timedelta(seconds=start_s)
    return Scored(cid, Level.CLIP, Kind.EPISODIC, "cam", t0, t0 + timedelta(seconds=10), text, 0.5, 0.0, 0.5,
                  entity_ids=list(entity_ids))


def test_indefinite_pronouns_are_not_words_a_sentence_must_say():
    emb = bs.embedder()
    text = "did anybody feed the goats"
    q = Query(text, np.asarray(emb.embed_query(text), dtype=np.float32), LexicalScorer(extract_keywords(text)))
    assert gate_words(q) == ["feed", "goats"]


def test_a_voice_without_a_name_may_be_the_person_asked_about():
    from api_schemas import EntityKind
    from memory_core.domain import Entity
    from memory_core.retrieval.occurrences import unnamed_voice_clips

    ents = {
        "v-anon": Entity("v-anon", "t", "cam", EntityKind.VOICE, "voice 3"),
        "v-named": Entity("v-named", "t", "cam", EntityKind.VOICE, "voice 1", name="Omar"),
        "v-linked": Entity("v-linked", "t", "cam", EntityKind.VOICE, "voice 2", linked_ids=["n-lea"]),
        "n-lea": Entity("n-lea", "t", "cam", EntityKind.NAME, "Lea", name="Lea"),
        "f-anon": Entity("f-anon", "t", "cam", EntityKind.FACE, "person 4"),
    }

    class _Repo:
        def get_entity(self, tenant, eid):
            return ents.get(eid)

    clips = [_clip("a", "x", ["v-anon"]), _clip("b", "x", ["v-named"]), _clip("c", "x", ["v-linked"]),
             _clip("d", "x", ["f-anon"]), _clip("e", "x", ["v-named", "v-anon"]), _clip("f", "x", ["gone"])]
    assert unnamed_voice_clips(_Repo(), "t", clips) == {"a", "e"}
    assert unnamed_voice_clips(None, "t", clips) == set()


def test_two_events_of_one_clip_keep_their_spoken_order():
    from memory_core.retrieval.occurrences import Occurrence, sentence_moment

    c = _clip("a", "Mia said: 'I locked the shed. Then I fed the hens and went inside.'")
    shed, hens = sentence_moment(c, "I locked the shed."), sentence_moment(c, "Then I fed the hens and went inside.")
    assert c.start < shed < hens < c.end
    assert sentence_moment(c, "not in the clip") == c.start and sentence_moment(c, "") == c.start
    occ = Occurrence("k", [c], {"a": "Then I fed the hens and went inside."})
    assert occ.said_at == hens
