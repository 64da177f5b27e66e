"""Stream workers and the two things that may change under them, with real footage published over
UDP on loopback:

* the network policy is checked before every connection: a host name that resolved to an allowed
  address when the stream started and resolves to a private one at a reconnection (DNS rebinding)
  stops the worker with the refusal recorded in its status and its stream record; a name that
  does not resolve for a moment only backs off; a refused URL's credentials are never shown;
* a source deleted while its worker runs (as the REST service in another process would): nothing
  is written after the deletion returned, whether it completes while a clip is perceived or starts
  while a clip is being written (it then waits for that write and removes it); the worker stops by
  itself and nothing of the source is left or re-created afterwards.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time

import pytest
from stream_support import TENANT, Publisher, WriteSpy, free_port, log_events, udp_output, wait_for  # noqa: F401 - fixture

from ingest_workers.perceive import Perceiver
from ingest_workers.stream import StreamWorker
from ingest_workers.stream_manager import stream_info
from memory_core import forget
from services.api.ssrf import UrlPolicy, UrlRefused, check_stream_url

DELETED = "source deleted: the worker stopped"


def _stream_until_deleted(worker: StreamWorker, spy: WriteSpy, port: int, tmp_path) -> dict:
    """Publish real footage to ``port`` and run ``worker`` until the test's deletion happened and
    the worker stopped by itself; returns its final status."""
    pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log").start()
    try:
        worker.start()
        wait_for(lambda: spy.deleted_at is not None, 60, what=f"the deletion ({worker.status()})")
        wait_for(lambda: not worker.alive, 30, what=f"the worker to notice ({worker.status()})")
    finally:
        pub.stop()
        summary = worker.stop(30)
    return summary


def _nothing_left(rt, source: str) -> None:
    left = forget.source_leftovers(rt, TENANT, source)
    assert not any(left.values()), left


# --------------------------------------------------------------------------- network policy
@pytest.mark.parametrize("url_check", ["quotes the url", "private address"])
def test_a_url_refused_before_the_first_connection_is_never_pulled_nor_shown(rt, log_events, url_check):
    source = f"refused-cam-{url_check.split()[0]}"
    url = "rtsp://admin:hunter2-pw@cam.example.com:554/live?pwd=topsecret9"
    calls: list[str] = []

    def check(u: str) -> None:
        calls.append(u)
        if url_check == "quotes the url":  # as FFmpeg's and resolver's messages may
            raise UrlRefused(f"refused to stream from {u}")
        check_stream_url(u, UrlPolicy(), lambda host, port: ["10.1.2.3"])

    worker = StreamWorker(rt, TENANT, source, url, url_check=check)
    summary = worker.run()
    assert calls == [url] and worker.reader is None  # refused: no LiveReader was even built
    assert summary["state"] == "stopped" and summary["connections"] == 0, summary
    assert [e for e in summary["errors"] if e.startswith("refused before connecting")], summary["errors"]
    if url_check == "private address":
        assert "10.1.2.3 is private" in summary["errors"][0]
    record = stream_info(rt, TENANT, source)
    assert record["state"] == "stopped" and record["errors"] == summary["errors"]
    shown = json.dumps([summary, record, [{k: str(v) for k, v in e.items()} for e in log_events]])
    for secret in ("hunter2-pw", "topsecret9"):
        assert secret not in shown
    assert any(e.get("event") == "stream connection refused by the network policy" for e in log_events)


@pytest.mark.slow
@pytest.mark.usefixtures("ffmpeg")
def test_a_name_rebound_to_a_private_address_is_refused_at_the_reconnection(rt, tmp_path):
    port = free_port(socket.SOCK_DGRAM)
    answers = iter([["127.0.0.1"], OSError("temporary DNS failure"), ["10.20.30.40"]])
    calls: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        calls.append(host)
        answer = next(answers, ["10.20.30.40"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    # loopback is allowed for this test's publisher; 10.0.0.0/8 is not
    policy = UrlPolicy(allow_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    url = f"udp://localhost:{port}"
    worker = StreamWorker(rt, TENANT, "rebinding-cam", url, url_check=lambda u: check_stream_url(u, policy, resolver))
    pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log").start()
    try:
        worker.start()
        wait_for(lambda: worker.clips_written >= 1, 60, what=f"a first clip ({worker.status()})")
        pub.stop()  # the source goes down: the worker stalls and reconnects
        wait_for(lambda: not worker.alive, 60, what=f"the worker to stop on the refusal ({worker.status()})")
    finally:
        pub.stop()
        summary = worker.stop(30)
    assert summary["connections"] == 1 and summary["state"] == "stopped", summary
    refusals = [e for e in summary["errors"] if e.startswith("refused before connecting")]
    assert len(refusals) == 2, summary["errors"]
    assert "does not resolve" in refusals[0]  # transient: backed off and tried again
    assert "10.20.30.40 is private" in refusals[1]  # refused: stopped for good
    assert calls == ["localhost"] * 3
    record = stream_info(rt, TENANT, "rebinding-cam")  # what the REST service shows
    assert record["state"] == "stopped" and record["errors"][-1] == refusals[1], record


# --------------------------------------------------------------------------- source deletion
@pytest.mark.slow
@pytest.mark.usefixtures("ffmpeg")
def test_a_source_deleted_while_a_clip_is_perceived_gets_nothing_written(rt, tmp_path, monkeypatch):
    source = "deleted-cam"
    spy = WriteSpy(rt, monkeypatch, source)
    port = free_port(socket.SOCK_DGRAM)
    worker = StreamWorker(rt, TENANT, source, f"udp://127.0.0.1:{port}")
    perceive = Perceiver.perceive
    reports = []

    def perceive_then_delete(self, windows, **kw):
        out = perceive(self, windows, **kw)
        if worker.clips_written >= 1 and not reports:  # the second group: its source goes meanwhile
            reports.append(forget.delete_source(rt, TENANT, source))  # as another process would
            spy.deleted_at = time.monotonic()
        return out

    monkeypatch.setattr(Perceiver, "perceive", perceive_then_delete)
    summary = _stream_until_deleted(worker, spy, port, tmp_path)
    assert reports[0] is not None and reports[0].nodes_deleted >= 1
    assert spy.late == []
    assert summary["clips_written"] == 1, summary  # the group perceived during the deletion was not written
    assert DELETED in summary["errors"] and summary["state"] == "stopped", summary["errors"]
    _nothing_left(rt, source)  # nothing written, nothing re-created (the source row neither)


@pytest.mark.slow
@pytest.mark.usefixtures("ffmpeg")
def test_a_deletion_that_starts_during_a_write_waits_for_it_and_removes_it(rt, tmp_path, monkeypatch):
    source = "deleted-mid-write-cam"
    spy = WriteSpy(rt, monkeypatch, source)
    port = free_port(socket.SOCK_DGRAM)
    worker = StreamWorker(rt, TENANT, source, f"udp://127.0.0.1:{port}")
    upsert_nodes = rt.repo.upsert_nodes  # the spy's
    order: list[str] = []
    reports = []

    def delete() -> None:
        reports.append(forget.delete_source(rt, TENANT, source))
        spy.deleted_at = time.monotonic()
        order.append("deletion returned")

    def upsert_nodes_slowly(nodes):
        nodes = list(nodes)
        if worker.clips_written >= 1 and not order and threading.current_thread().name == spy.thread:
            order.append("write began")
            threading.Thread(target=delete, daemon=True).start()
            time.sleep(1.5)  # the deletion must not get through while this write runs
            upsert_nodes(nodes)
            order.append("write ended")
            return
        upsert_nodes(nodes)

    monkeypatch.setattr(rt.repo, "upsert_nodes", upsert_nodes_slowly)
    summary = _stream_until_deleted(worker, spy, port, tmp_path)
    assert order == ["write began", "write ended", "deletion returned"], order
    assert reports[0] is not None and reports[0].nodes_deleted >= 2  # it removed the write it waited for
    assert spy.late == []
    assert DELETED in summary["errors"] and summary["state"] == "stopped", summary["errors"]
    _nothing_left(rt, source)


def test_a_registered_stream_whose_source_is_gone_does_not_create_it_again(rt):
    source = "gone-before-start-cam"
    worker = StreamWorker(rt, TENANT, source, "udp://127.0.0.1:9", create_source=False)
    summary = worker.run()
    assert summary["state"] == "stopped" and DELETED in summary["errors"] and summary["connections"] == 0
    assert rt.repo.get_source(TENANT, source) is None


def test_the_source_write_lock_keeps_a_writer_and_a_deletion_apart(rt):
    held, released = threading.Event(), threading.Event()

    def writer() -> None:
        with forget.source_write_lock(rt, TENANT, "locked-cam", wait_s=0) as got:
            assert got
            held.set()
            released.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    assert held.wait(10)
    started = time.monotonic()
    with forget.source_write_lock(rt, TENANT, "locked-cam", wait_s=0.3) as got:
        assert not got and time.monotonic() - started >= 0.3  # waited, then gave up
    with forget.source_write_lock(rt, TENANT, "other-cam", wait_s=0) as got:
        assert got  # one lock per source
    threading.Timer(0.3, released.set).start()
    with forget.source_write_lock(rt, TENANT, "locked-cam", wait_s=10) as got:
        assert got and time.monotonic() - started >= 0.6  # taken once the writer let go
    t.join(10)
