"""The publisher stops for 30 s and starts again: the worker notices the stall, backs off, reconnects,
and records the outage as a gap memory (and in the source's settings) whose span matches it."""

from __future__ import annotations

import socket
import time

import pytest
from stream_support import TENANT, Publisher, free_port, udp_output, wait_for

from api_schemas import Level, Question
from ingest_workers.stream import StreamWorker
from ingest_workers.stream_manager import stream_info

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ffmpeg")]

OUTAGE_S = 30.0
MATCH_S = 4.0  # gap start/end vs when the publisher stopped/restarted (stall detection and reconnect take a few s)


def test_publisher_down_30s_is_recorded_as_gap(rt, tmp_path):
    source = "gap-cam"
    port = free_port(socket.SOCK_DGRAM)
    pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log")
    clips: list[dict] = []
    states: list[str] = []
    worker = StreamWorker(rt, TENANT, source, f"udp://127.0.0.1:{port}", on_clip=clips.append)
    pub.start()
    worker.start()
    try:
        wait_for(lambda: clips, 40, what="the first clip")
        time.sleep(max(0.0, pub.started_at + 15 - time.time()))
        stopped_at = pub.stop()
        deadline = time.time() + OUTAGE_S
        while time.time() < deadline:  # the watchdog sees the stall and backs off meanwhile
            states.append(worker.state.value)
            time.sleep(0.5)
        pub.start()
        restarted_at = pub.started_at
        gap = wait_for(lambda: list(worker.gaps), 45, what=f"the gap record ({worker.status()})")[0]
        wait_for(lambda: any(c["capture_start"].timestamp() >= restarted_at - 1 for c in clips), 30,
                 what="a clip after the reconnection")
        assert pub.running()
    finally:
        summary = worker.stop(60)
        pub.stop()

    assert "backoff" in states and "connecting" in states, states  # reconnection attempts during the outage
    assert summary["connections"] >= 2 and summary["sessions"] == 2, summary
    # the gap node: level clip, kind episodic, "Source down: no footage from A to B"
    nodes = [n for n in rt.repo.list_nodes(TENANT, source=source, level=Level.CLIP, limit=1000) if n.attributes.get("gap")]
    assert len(nodes) == 1, [n.text for n in nodes]
    node = nodes[0]
    assert node.kind.value == "episodic" and node.text.startswith("Source down: no footage from ")
    a, b = node.start.timestamp(), node.end.timestamp()
    print(f"gap {a - stopped_at:+.2f} s from the stop, {b - restarted_at:+.2f} s from the restart: {node.text}")
    assert abs(a - stopped_at) <= MATCH_S, f"gap starts {a - stopped_at:+.1f} s from the stop"
    assert -1.0 <= b - restarted_at <= MATCH_S + rt.settings.stream.backoff_max_s, f"gap ends {b - restarted_at:+.1f} s from the restart"
    assert abs((b - a) - OUTAGE_S) <= MATCH_S + rt.settings.stream.backoff_max_s
    assert gap["start"] == node.attributes["start"]
    # visible in the source's record (the timeline) and found by a question
    info = stream_info(rt, TENANT, source)
    assert info is not None and [g["start"] for g in info["gaps"]] == [gap["start"]]
    answer = rt.agent.ask(Question(text="When was the camera down?", sources=[source]), tenant=TENANT)
    assert any(e.node_id == node.id for e in answer.evidence[:3]), [e.text[:80] for e in answer.evidence]
    # footage on both sides of the gap, none inside it
    episodic = [n for n in rt.repo.list_nodes(TENANT, source=source, level=Level.CLIP, kind=None, limit=1000)
                if not n.attributes.get("gap") and n.kind.value == "episodic"]
    assert any(n.end.timestamp() <= a + 1 for n in episodic) and any(n.start.timestamp() >= b - 1 for n in episodic)
    assert not any(n.start.timestamp() > a + 1 and n.end.timestamp() < b - 1 for n in episodic)
