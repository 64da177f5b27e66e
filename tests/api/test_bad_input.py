"""Bad input over HTTP: oversized, truncated, empty and non-video uploads, malformed multipart and
JSON, huge bodies and pagination values. Each answers a clear 4xx and leaves nothing written:
no file under the media folder, no job, no media row, no memory."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from api_support import DATA, create_tenant, footage, make_client, upload
from memory_core.forget import owned_source_dir


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _nothing_written(client, runtime, tenant, source: str) -> None:
    assert _files(owned_source_dir(runtime.settings, tenant.id, source)) == []
    assert client.get("/v1/jobs", params={"source": source}, headers=tenant.headers).json()["items"] == []
    assert runtime.repo.list_media_files(tenant.id, source) == []
    assert runtime.repo.count_nodes(tenant.id, source=source) == 0


@pytest.fixture()
def src(client, tenant) -> str:
    assert client.post("/v1/sources", json={"name": "bad"}, headers=tenant.headers).status_code == 201
    return "bad"


def _post_bytes(client, tenant, source, name: str, data: bytes):
    return client.post(f"/v1/sources/{source}/uploads", files={"file": (name, data, "video/mp4")}, headers=tenant.headers)


def test_oversized_upload_413(runtime):
    sample = footage("sample.mp4")
    with make_client(runtime, max_upload_bytes=100_000) as c:
        t = create_tenant(c, "big")
        r = upload(c, t, "cam", sample)
        assert r.status_code == 413 and r.json()["code"] == "too_large"
        _nothing_written(c, runtime, t, "cam")


def test_oversized_upload_without_content_length_413(runtime):
    """A chunked body (no Content-Length) is cut off while streaming."""
    sample = footage("sample.mp4")
    with make_client(runtime, max_upload_bytes=100_000) as c:
        t = create_tenant(c, "chunked")
        assert c.post("/v1/sources", json={"name": "cam"}, headers=t.headers).status_code == 201
        boundary = "b0undary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.mp4\"\r\n"
                "Content-Type: video/mp4\r\n\r\n").encode()

        def body():
            yield head
            data = sample.read_bytes()
            for i in range(0, len(data), 32_768):
                yield data[i : i + 32_768]
            yield f"\r\n--{boundary}--\r\n".encode()

        r = c.post("/v1/sources/cam/uploads", content=body(),
                   headers={**t.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 413
        _nothing_written(c, runtime, t, "cam")


def test_non_video_upload_422(client, runtime, tenant, src):
    for name, data in [("notes.mp4", b"this is a text file, not a video\n" * 40), ("rand.mp4", random.Random(20261121).randbytes(200_000))]:
        r = _post_bytes(client, tenant, src, name, data)
        assert r.status_code == 422, r.text
        # random bytes can sync as an MPEG stream with a 0x0 picture: refused as absurd, also 422
        assert r.json()["code"] in ("not_media", "corrupt_media", "absurd_media"), r.json()
    committed = DATA / "not_a_video.mp4"
    if committed.exists():
        r = _post_bytes(client, tenant, src, committed.name, committed.read_bytes())
        assert r.status_code == 422
    _nothing_written(client, runtime, tenant, src)


def test_truncated_video_upload_422(client, runtime, tenant, src):
    data = footage("sample.mp4").read_bytes()
    r = _post_bytes(client, tenant, src, "cut.mp4", data[: len(data) // 2])
    assert r.status_code == 422, r.text
    assert r.json()["code"] in ("truncated_media", "corrupt_media", "not_media")
    _nothing_written(client, runtime, tenant, src)


def test_empty_upload_422(client, runtime, tenant, src):
    r = _post_bytes(client, tenant, src, "empty.mp4", b"")
    assert r.status_code == 422 and r.json()["code"] == "empty_file"
    _nothing_written(client, runtime, tenant, src)


def test_truncated_multipart_body_400(client, runtime, tenant, src):
    boundary = "xyz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n").encode()
    body += footage("sample.mp4").read_bytes()[:50_000]  # no closing boundary: the client stopped
    r = client.post(f"/v1/sources/{src}/uploads", content=body,
                    headers={**tenant.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 400 and r.json()["code"] == "upload_truncated"
    _nothing_written(client, runtime, tenant, src)


def test_upload_wrong_content_type_and_missing_parts(client, runtime, tenant, src):
    r = client.post(f"/v1/sources/{src}/uploads", content=b"raw", headers={**tenant.headers, "Content-Type": "video/mp4"})
    assert r.status_code == 415
    r = client.post(f"/v1/sources/{src}/uploads", data={"start_time": "2026-01-01T00:00:00Z"}, files={"other": ("x", b"1")},
                    headers=tenant.headers)
    assert r.status_code == 422
    r = client.post(f"/v1/sources/{src}/uploads", content=b"--", headers={**tenant.headers, "Content-Type": "multipart/form-data"})
    assert r.status_code == 400
    _nothing_written(client, runtime, tenant, src)


def test_bad_start_time_422_and_unknown_source_404(client, runtime, tenant, src):
    sample = footage("video_only.mp4")
    r = upload(client, tenant, src, sample, start_time="last tuesday", create=False)
    assert r.status_code == 422 and "start_time" in r.json()["message"]
    r = upload(client, tenant, "no-such-source", sample, create=False)
    assert r.status_code == 404
    _nothing_written(client, runtime, tenant, src)


def test_malformed_json_400(client, tenant):
    for path in ("/v1/sources", "/v1/query", "/v1/search"):
        r = client.post(path, content=b'{"name": ', headers={**tenant.headers, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["code"] == "malformed_json", (path, r.text)
    r = client.post("/v1/query", json={"text": ""}, headers=tenant.headers)
    assert r.status_code == 422 and r.json()["details"][0]["loc"][-1] == "text"
    r = client.post("/v1/sources", json={"name": "../../etc"}, headers=tenant.headers)
    assert r.status_code == 422


def test_huge_json_body_413(client, tenant):
    r = client.post("/v1/query", json={"text": "x" * 2_000_000}, headers=tenant.headers)
    assert r.status_code == 413 and r.json()["code"] == "too_large"


@pytest.mark.parametrize("params", [
    {"limit": 10**12}, {"limit": 0}, {"limit": -1}, {"offset": -5}, {"offset": 10**15}, {"limit": "many"},
])
def test_huge_or_bad_pagination_422(client, tenant, params):
    for path in ("/v1/sources", "/v1/memories", "/v1/entities", "/v1/jobs"):
        r = client.get(path, params=params, headers=tenant.headers)
        assert r.status_code == 422, (path, params, r.text)
        assert r.json()["code"] == "invalid_request"


def test_bad_filters_422(client, tenant):
    assert client.get("/v1/memories", params={"level": "galaxy"}, headers=tenant.headers).status_code == 422
    assert client.get("/v1/memories", params={"start": "yesterday"}, headers=tenant.headers).status_code == 422
    r = client.get("/v1/memories", params={"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, headers=tenant.headers)
    assert r.status_code == 422
    r = client.post("/v1/search", json={"text": "a", "limit": 10_000}, headers=tenant.headers)
    assert r.status_code == 422
