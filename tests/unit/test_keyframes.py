"""KeyframeStore: atomic writes, safe names, no path escapes, deletion."""

from __future__ import annotations

import pytest

from memory_core.stores.keyframes import KeyframeStore, safe_component

JPEG = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


@pytest.fixture
def store(tmp_path):
    return KeyframeStore(tmp_path / "kf")


def test_put_returns_relative_path_and_roundtrips(store):
    rel = store.put("acme", "cam-1", "node-1", 0, JPEG)
    assert rel == "acme/cam-1/node-1/0.jpg"
    assert store.path(rel).read_bytes() == JPEG and store.read(rel) == JPEG
    store.put("acme", "cam-1", "node-1", 0, b"new")  # replaces in place
    assert store.read(rel) == b"new"
    assert not [p for p in store.path(rel).parent.iterdir() if p.name.startswith(".tmp")]


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "a/b", "a\\b", "/abs", "Cam 1", "x" * 200, "ü", ".hidden", "~root"])
def test_unsafe_names_stay_inside_root(store, name):
    rel = store.put(name, name, name, 1, JPEG)
    parts = rel.split("/")
    assert len(parts) == 4 and all(p not in ("", ".", "..") for p in parts)
    assert store.path(rel).is_relative_to(store.root) and store.read(rel) == JPEG


def test_safe_component_is_one_to_one():
    names = ["cam", "Cam", "CAM", "a/b", "a_b", "a b", "..", "_", safe_component("a/b"), "x-0123456789ab"]
    mapped = [safe_component(n) for n in names]
    assert len(set(m.lower() for m in mapped)) == len(names)
    assert safe_component("cam-1") == "cam-1"
    with pytest.raises(ValueError):
        safe_component("")


def test_path_refuses_escapes(store):
    for bad in ["../x.jpg", "a/../../x.jpg", "/etc/passwd", "", "a/\x00.jpg", "."]:
        with pytest.raises(ValueError):
            store.path(bad)


def test_path_refuses_symlink_escape(store, tmp_path):
    store.put("t", "s", "n", 0, JPEG)
    (store.root / "t" / "link").symlink_to(tmp_path)
    with pytest.raises(ValueError):
        store.path("t/link/secret.jpg")


def test_put_rejects_bad_input(store):
    with pytest.raises(ValueError):
        store.put("t", "s", "n", -1, JPEG)
    with pytest.raises(ValueError):
        store.put("t", "s", "n", 0, b"")


def test_delete_nodes_and_source(store):
    a = store.put("t", "s", "n1", 0, JPEG)
    store.put("t", "s", "n1", 1, JPEG)
    b = store.put("t", "s", "n2", 0, JPEG)
    other = store.put("t", "s2", "n1", 0, JPEG)
    other_tenant = store.put("u", "s", "n1", 0, JPEG)
    assert store.delete_nodes("t", "s", ["n1", "missing"]) == 1
    assert not store.path(a).exists() and store.path(b).exists()
    store.delete_source("t", "s")
    assert not store.path(b).exists()
    assert store.path(other).exists() and store.path(other_tenant).exists()
    store.delete_source("t", "never-existed")  # no error
