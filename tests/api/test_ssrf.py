"""URL ingest and SSRF: hostile URLs answer 4xx before anything is fetched, redirects are re-checked
hop by hop (a local test server redirecting to 127.0.0.1), downloads are capped, and a public-enough
URL (the test server's address, admitted by ``url_allow_networks``) is downloaded and ingested."""

from __future__ import annotations

import http.server
import ipaddress
import threading
from pathlib import Path

import pytest

from api_support import create_tenant, footage, make_client, wait_job
from memory_core.forget import owned_source_dir
from services.api.ssrf import UrlPolicy, UrlRefused, check_url, download, system_resolver

PUBLIC = "93.184.215.14"


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table[host] if host in table else system_resolver(host, port)

    return resolve


NAMES = {
    "public.example": [PUBLIC],
    "rebind.example": [PUBLIC, "10.0.0.7"],  # one private address is enough to refuse
    "internal.example": ["192.168.1.20"],
    "metadata.google.internal": ["169.254.169.254"],
    "v6local.example": ["::1"],
}


@pytest.mark.parametrize("url,status", [
    ("http://127.0.0.1/a.mp4", 403),
    ("http://127.1/", 403),
    ("http://localhost/", 403),
    ("http://0.0.0.0:8080/", 403),
    ("http://2130706433/", 403),  # 127.0.0.1 as a decimal integer
    ("http://0x7f000001/", 403),
    ("http://10.1.2.3/", 403),
    ("http://172.16.0.1/", 403),
    ("http://192.168.0.10/", 403),
    ("http://100.64.0.1/", 403),  # shared address space (CGNAT)
    ("http://169.254.169.254/latest/meta-data/", 403),
    ("http://metadata.google.internal/computeMetadata/v1/", 403),
    ("http://[::1]/", 403),
    ("http://[::ffff:127.0.0.1]/", 403),
    ("http://[fe80::1]/", 403),
    ("http://[fd00:ec2::254]/", 403),
    ("http://[2002:7f00:1::1]/", 403),  # 6to4 wrapping 127.0.0.1
    ("http://224.0.0.1/", 403),
    ("http://internal.example/x", 403),
    ("http://rebind.example/x", 403),
    ("http://v6local.example/x", 403),
    ("ftp://public.example/a.mp4", 422),
    ("file:///etc/passwd", 422),
    ("gopher://public.example/", 422),
    ("http://no-such-host.example/", 422),
])
def test_hostile_urls_are_refused(url, status):
    with pytest.raises(UrlRefused) as err:
        check_url(url, UrlPolicy(), _resolver(NAMES))
    assert err.value.status == status, err.value


def test_public_url_passes_and_is_pinned():
    target = check_url("https://public.example:8443/v.mp4", UrlPolicy(), _resolver(NAMES))
    assert target.ip == PUBLIC and target.host == "public.example" and target.port == 8443


def test_settings_can_admit_private_but_never_metadata():
    relaxed = UrlPolicy(allow_private=True)
    assert check_url("http://10.1.2.3/", relaxed).ip == "10.1.2.3"
    assert check_url("http://127.0.0.1/", relaxed).ip == "127.0.0.1"
    with pytest.raises(UrlRefused):
        check_url("http://169.254.169.254/", relaxed)
    narrow = UrlPolicy(allow_networks=(ipaddress.ip_network("10.9.0.0/16"),))
    assert check_url("http://10.9.1.1/", narrow).ip == "10.9.1.1"
    with pytest.raises(UrlRefused):
        check_url("http://10.8.1.1/", narrow)


# --------------------------------------------------------------------------- a local origin
class _Handler(http.server.BaseHTTPRequestHandler):
    video: bytes = b""

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        port = self.server.server_address[1]
        routes = {
            "/to-loopback": ("redirect", "http://127.0.0.1:%d/video.mp4" % port),
            "/to-metadata": ("redirect", "http://169.254.169.254/latest/meta-data/"),
            "/to-relative": ("redirect", "/video.mp4"),
            "/loop": ("redirect", "/loop"),
            "/hop1": ("redirect", "/hop2"),
            "/hop2": ("redirect", "http://127.0.0.1:%d/video.mp4" % port),
        }
        if self.path in routes:
            self.send_response(302)
            self.send_header("Location", routes[self.path][1])
            self.end_headers()
            return
        if self.path == "/video.mp4":
            body = self.video
        elif self.path == "/big":
            body = b"\0" * 300_000
        elif self.path == "/text":
            body = b"hello, not a video\n" * 100
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if self.path != "/big":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def origin():
    """An HTTP server on 127.0.0.2 (admitted by the tests' url_allow_networks); 127.0.0.1 is not."""
    _Handler.video = footage("video_only.mp4").read_bytes()
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Handler)
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.2: {exc}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()


def _ingest_url(client, tenant, source: str, url: str):
    client.post("/v1/sources", json={"name": source}, headers=tenant.headers)
    return client.post(f"/v1/sources/{source}/url-ingests", json={"url": url}, headers=tenant.headers)


def _no_files(runtime, tenant, source):
    root = owned_source_dir(runtime.settings, tenant.id, source)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_redirects_to_private_addresses_are_refused(client, runtime, tenant, origin):
    for path in ("/to-loopback", "/to-metadata", "/hop1"):
        r = _ingest_url(client, tenant, "web", origin + path)
        assert r.status_code == 403 and r.json()["code"] == "url_refused", (path, r.text)
    r = _ingest_url(client, tenant, "web", origin + "/loop")
    assert r.status_code == 422 and r.json()["code"] == "url_redirects"
    r = _ingest_url(client, tenant, "web", origin + "/missing")
    assert r.status_code == 422 and r.json()["code"] == "url_fetch_failed"
    assert client.get("/v1/jobs", params={"source": "web"}, headers=tenant.headers).json()["items"] == []
    assert _no_files(runtime, tenant, "web") == []


def test_hostile_urls_over_http(client, tenant):
    for url in ("http://127.0.0.1:9/x.mp4", "http://[::1]/x", "http://169.254.169.254/", "http://10.0.0.1/v.mp4"):
        r = _ingest_url(client, tenant, "web", url)
        assert r.status_code == 403, (url, r.text)
    for url in ("file:///etc/passwd", "ftp://example.com/x", "not a url"):
        assert _ingest_url(client, tenant, "web", url).status_code == 422


def test_download_is_capped_and_leaves_nothing(tmp_path: Path, origin):
    policy = UrlPolicy(allow_networks=(ipaddress.ip_network("127.0.0.2/32"),), max_bytes=100_000)
    with pytest.raises(UrlRefused) as err:
        download(origin + "/big", tmp_path, policy)
    assert err.value.status == 413
    assert list(tmp_path.iterdir()) == []


def test_url_ingest_downloads_and_ingests(client, runtime, tenant, origin):
    r = _ingest_url(client, tenant, "web-ok", origin + "/to-relative")
    assert r.status_code == 202, r.text
    job = wait_job(client, tenant, r.json()["id"])
    assert job["status"] in ("succeeded", "partial"), job
    assert runtime.repo.count_nodes(tenant.id, source="web-ok") > 0


def test_url_ingest_of_non_video_fails_cleanly(client, runtime, tenant, origin):
    r = _ingest_url(client, tenant, "web-text", origin + "/text")
    assert r.status_code == 202
    job = wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "failed" and job["error"]
    assert _no_files(runtime, tenant, "web-text") == []
    assert runtime.repo.count_nodes(tenant.id, source="web-text") == 0


def test_private_urls_allowed_by_setting(runtime, origin):
    with make_client(runtime, allow_private_urls=True, url_allow_networks=[]) as c:
        t = create_tenant(c, "lan")
        r = _ingest_url(c, t, "lan", origin.replace("127.0.0.2", "127.0.0.1") + "/video.mp4")
        assert r.status_code in (202, 422), r.text  # admitted by policy (nothing listens on .1 for that port)
        assert r.status_code != 403
