"""Summaries: extractive (centrality + MMR, time order, caps, structured tail) and LLM with fallback."""

from __future__ import annotations

from api_schemas import Level
from memory_core.building.clips import build_clip_nodes
from memory_core.building.summarise import Summariser
from memory_core.providers.base import LLMError

import building_support as bs


def clips(texts, lines=None):
    c = bs.ctx()
    out = []
    for i, t in enumerate(texts):
        p = bs.perception(bs.window(i, 10.0 * i, "grey"), speech=[bs.seg(10.0 * i + 1, t)],
                          lines=[bs.ocr(10.0 * i + 2, x) for x in (lines or {}).get(i, [])])
        out.append(build_clip_nodes(p, c)[0])
    return out


class ScriptedLLM:
    """An OpenAI-compatible endpoint stand-in: returns a fixed reply or raises LLMError."""

    name, version = "tiny-chat", "test"

    def __init__(self, reply=None):
        self.reply, self.prompts = reply, []

    def complete(self, system, user, *, max_tokens=None):
        self.prompts.append(user)
        if self.reply is None:
            raise LLMError("endpoint down")
        return self.reply


def test_extractive_prefers_diverse_central_sentences_in_time_order_within_the_cap():
    texts = [
        "The forklift battery is charging in the back room.",
        "The forklift battery is still charging in the back room.",
        "Yes, the forklift battery is charging in the back room now.",
        "A red truck arrived at delivery bay three this morning.",
        "The forklift battery charges in the back room overnight.",
    ]
    children = clips(texts, lines={3: ["DELIVERY BAY 3"], 4: ["GATE 7 OPEN"]})
    s = Summariser(bs.embedder(), caps={Level.SCENE: 200}).summarise(Level.SCENE, children)
    assert len(s.text) <= 200 and s.method == "extractive-v1"
    assert len(s.sentences) == 2
    assert any("truck" in x for x in s.sentences)  # MMR: the distinct sentence beats a near-duplicate
    assert any("forklift" in x for x in s.sentences)
    order = [next(i for i, t in enumerate(texts) if t in x) for x in s.sentences]
    assert order == sorted(order)  # time order kept
    assert s.tail == "Speakers: Someone; On screen: DELIVERY BAY 3, GATE 7 OPEN."
    assert s.text.endswith(s.tail)
    roomier = Summariser(bs.embedder(), caps={Level.SCENE: 400}).summarise(Level.SCENE, children)
    assert len(roomier.sentences) == 3  # room for more, but the rest repeat a picked one (cosine > 0.9)
    assert sum(any(t in x for x in roomier.sentences) for t in texts[:3]) == 1


def test_tail_keeps_every_name_and_screen_text_even_when_the_body_drops_them():
    children = clips(["Ask Bob about the keys.", "Nothing else happened today, really."], lines={0: ["EXIT"], 1: ["DOCK 4"]})
    children[0].attributes["speakers"][0]["label"] = "Alice Parker"
    children[0].attributes["faces"], children[0].attributes["people"] = ["f1"], ["Person 1"]
    s = Summariser(bs.embedder(), caps={Level.SCENE: 120}).summarise(Level.SCENE, children)
    for must in ("Alice Parker", "Person 1", "EXIT", "DOCK 4"):
        assert must in s.tail
    assert s.lists["people"] == ["Person 1"] and s.lists["ocr"] == ["EXIT", "DOCK 4"]


def test_silent_children_summarise_to_their_picture_not_to_nothing():
    c = bs.ctx()
    silent = [build_clip_nodes(bs.perception(bs.window(i, 10.0 * i, "dark_blue")), c)[0] for i in range(3)]
    s = Summariser(bs.embedder()).summarise(Level.SCENE, silent)
    assert s.text == "No speech. Dark scene, mostly blue."


def test_llm_summary_with_times_and_fallback_on_error():
    children = clips(["The door is locked.", "Now the door is open again."])
    llm = ScriptedLLM("Someone locked the door and later opened it.")
    s = Summariser(bs.embedder(), llm).summarise(Level.EVENT, children)
    assert s.body == "Someone locked the door and later opened it." and s.method == "llm:tiny-chat"
    assert "[2026-11-16 08:00:00]" in llm.prompts[0] and "[2026-11-16 08:00:10]" in llm.prompts[0]
    assert "The door is locked." in llm.prompts[0]
    broken = Summariser(bs.embedder(), ScriptedLLM(None)).summarise(Level.EVENT, children)
    assert broken.method == "extractive-v1" and "door is locked" in broken.body
