"""services.api.guard without a server: route-based body limits (a source or entity named like a
route segment never borrows the upload route's exemption), credentials as the dependencies read
them, and which requests announce a body."""

from __future__ import annotations

from fastapi import APIRouter

from services.api.guard import RouteIndex, credential_of, has_body, streams_own_body


def _index() -> RouteIndex:
    router = APIRouter(prefix="/sources")

    @router.patch("/{source}")
    def update(source: str) -> None: ...

    @router.post("/{source}/uploads")
    @streams_own_body
    async def upload(source: str) -> None: ...

    entities = APIRouter(prefix="/entities")

    @entities.patch("/{entity_id}")
    def rename(entity_id: str) -> None: ...

    index = RouteIndex()
    index.add_router(router, "/v1")
    index.add_router(entities, "/v1")
    return index


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path}


def test_body_limit_by_route_not_by_path_text():
    index = _index()
    assert index.body_limit(_scope("POST", "/v1/sources/cam/uploads"), 1024) is None
    assert index.body_limit(_scope("POST", "/v1/sources/uploads/uploads"), 1024) is None
    for method, path in [("PATCH", "/v1/sources/uploads"), ("PATCH", "/v1/entities/uploads"),
                         ("PATCH", "/v1/sources/chunks"), ("POST", "/v1/sources/uploads"),
                         ("GET", "/v1/sources/cam/uploads"), ("POST", "/v1/sources/a/b/uploads"),
                         ("POST", "/elsewhere/uploads")]:
        assert index.body_limit(_scope(method, path), 1024) == 1024, (method, path)


def test_credential_and_body_detection():
    assert credential_of({"authorization": "Bearer vmk_abc"}) == "vmk_abc"
    assert credential_of({"authorization": "bearer  vmk_abc "}) == "vmk_abc"
    assert credential_of({"x-api-key": "vmk_k"}) == "vmk_k"
    assert credential_of({"authorization": "Basic dXNlcg=="}) is None
    assert credential_of({}) is None
    assert has_body("POST", {"content-length": "10"}) and has_body("PATCH", {"transfer-encoding": "chunked"})
    assert not has_body("POST", {"content-length": "0"}) and not has_body("GET", {})
