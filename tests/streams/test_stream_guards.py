"""Stream workers and the two things that may change under them, with real footage published over
UDP on loopback:

* the network policy is checked before every connection: a host name that resolved to an allowed
  address when the stream started and resolves to a private one at a reconnection (DNS rebinding)
  stops the worker with the refusal recorded; a name that does not resolve for a moment only
  backs off;
* a source deleted while its worker runs (as the REST service in another process would): the
  worker stops by itself, and nothing of the source is left or re-created afterwards.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from stream_support import TENANT, Publisher, free_port, udp_output, wait_for

from ingest_workers.stream import StreamWorker
from memory_core import forget
from memory_core.stores.base import VectorFilter
from services.api.ssrf import UrlPolicy, check_stream_url

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ffmpeg")]


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
    assert "10.20.30.40" in refusals[1] or "private" in refusals[1]  # refused: stopped for good
    assert calls == ["localhost"] * 3


def test_a_source_deleted_under_its_worker_is_not_written_again(rt, tmp_path):
    source = "deleted-cam"
    port = free_port(socket.SOCK_DGRAM)
    worker = StreamWorker(rt, TENANT, source, f"udp://127.0.0.1:{port}")
    pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log").start()
    try:
        worker.start()
        wait_for(lambda: worker.clips_written >= 1, 60, what=f"a first clip ({worker.status()})")
        report = forget.delete_source(rt, TENANT, source)  # another process deletes it; the worker runs on
        assert report is not None and report.nodes_deleted >= 1
        wait_for(lambda: not worker.alive, 45, what=f"the worker to notice ({worker.status()})")
    finally:
        pub.stop()
        summary = worker.stop(30)
    assert "source deleted: the worker stopped" in summary["errors"], summary["errors"]
    assert rt.repo.get_source(TENANT, source) is None  # not re-created by a session close
    assert rt.repo.count_nodes(TENANT, source=source) == 0
    assert rt.vectors.count(VectorFilter(tenant=TENANT, sources=[source])) == 0
    assert rt.repo.list_media_files(TENANT, source) == []
    assert rt.repo.list_entities(TENANT, source=source) == []
