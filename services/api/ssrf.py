"""Fetching user-given URLs without becoming a proxy into the private network (SSRF).

Every hop is checked the same way: the scheme must be http(s); the host is resolved and *every*
address it resolves to must be public (not loopback, private, link-local, multicast, reserved,
unspecified, shared/CGNAT, or a cloud metadata address; IPv4 embedded in IPv6 — mapped, 6to4,
Teredo, NAT64 — is unwrapped first). The connection then goes to the checked address itself (the
``Host`` header and TLS SNI carry the name, so certificates are still verified against it), which
closes the DNS-rebinding window between check and connect. Redirects are followed by hand, each
target re-checked, at most ``max_redirects``. Downloads are capped in bytes and wall-clock time.

:func:`check_stream_url` applies the same address policy to a live stream's host (rtsp, udp,
HLS…) before a stream worker pulls it.

``allow_private`` (setting ``api.allow_private_urls``) admits private and loopback addresses;
``allow_networks`` (``api.url_allow_networks``) admits chosen networks even so. Metadata
addresses are refused unless a network in ``allow_networks`` names them.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from memory_core.logging import get_logger, redact
from memory_core.settings import ApiSettings

log = get_logger(__name__)

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 1 << 16


class UrlRefused(Exception):
    """The URL may not be fetched. ``status`` is the HTTP status to answer (403 for a refused
    address, 422 for a malformed or unusable URL), ``code`` a stable machine-readable code."""

    def __init__(self, message: str, *, code: str = "url_refused", status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def transient(self) -> bool:
        """Whether asking again later may succeed (a host name that does not resolve now); a
        stream worker then backs off instead of stopping."""
        return self.code == "url_unresolvable"


@dataclass(frozen=True)
class UrlPolicy:
    """Where and how much URL ingest may fetch (sizes bytes, times seconds)."""

    allow_private: bool = False
    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_redirects: int = 5
    max_bytes: int = 4 * 1024**3
    timeout_s: float = 600.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, api: ApiSettings) -> "UrlPolicy":
        """The policy of the API settings.

        Raises:
            ValueError: for a malformed network in ``url_allow_networks``.
        """
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in api.url_allow_networks)
        return cls(allow_private=api.allow_private_urls, allow_networks=nets, max_redirects=api.url_max_redirects,
                   max_bytes=api.max_upload_bytes, timeout_s=api.url_timeout_s)


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IP, policy: UrlPolicy) -> str | None:
    """Why ``ip`` may not be reached under ``policy``, or ``None`` when it may."""
    if any(ip in net for net in policy.allow_networks if net.version == ip.version):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            problem = address_problem(inner, policy)
            return None if problem is None else f"{problem} (embedded in {ip})"
        if ip.scope_id:
            return f"{ip} is scoped"
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if policy.allow_private:
        return None if not (ip.is_multicast or ip.is_unspecified) else f"{ip} is not a unicast address"
    for flag in ("is_loopback", "is_link_local", "is_private", "is_multicast", "is_reserved", "is_unspecified"):
        if getattr(ip, flag):
            return f"{ip} is {flag[3:].replace('_', '-')}"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of ``host`` from the system resolver (IPv4 and IPv6, TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked URL: the connection goes to ``ip``; ``host`` travels in Host and SNI."""

    url: httpx.URL
    host: str
    port: int
    ip: str


def check_url(url: str | httpx.URL, policy: UrlPolicy, resolver: Resolver = system_resolver) -> Target:
    """Check one URL (no fetching).

    Raises:
        UrlRefused: 422 for a malformed URL, another scheme or a host that does not resolve;
            403 when any address of the host is refused by ``policy``.
    """
    try:
        u = httpx.URL(str(url))
    except Exception as exc:
        raise UrlRefused(f"malformed URL: {exc}", code="url_invalid", status=422) from None
    if u.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https URLs can be ingested, not {u.scheme or 'none'!r}", code="url_invalid", status=422)
    host = u.host
    if not host:
        raise UrlRefused("URL has no host", code="url_invalid", status=422)
    port = u.port or (443 if u.scheme == "https" else 80)
    ips = check_host(host, port, policy, resolver)
    return Target(url=u, host=host, port=port, ip=str(ips[0]))


def check_host(host: str, port: int, policy: UrlPolicy, resolver: Resolver = system_resolver, *,
               verb: str = "fetch") -> list[IP]:
    """Resolve ``host`` and check every address it resolves to; returns them.

    Raises:
        UrlRefused: 422 when the host does not resolve; 403 when any address is refused.
    """
    try:
        ips = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise UrlRefused(f"host {host!r} does not resolve ({exc.__class__.__name__})", code="url_unresolvable", status=422) from None
        if not ips:
            raise UrlRefused(f"host {host!r} does not resolve", code="url_unresolvable", status=422)
    for ip in ips:
        problem = address_problem(ip, policy)
        if problem is not None:
            raise UrlRefused(f"refused to {verb} {host!r}: {problem}")
    return ips


_STREAM_PORTS = {"rtsp": 554, "rtsps": 322, "rtspt": 554, "rtmp": 1935, "rtmps": 443, "http": 80, "https": 443}


def check_stream_url(url: str, policy: UrlPolicy, resolver: Resolver = system_resolver) -> str:
    """Check a live-stream URL before a worker pulls it; returns its kind (``rtsp``, ``hls``...).

    The scheme must be one :func:`ingest_workers.stream_policy.source_kind` knows, except local
    files; the host is checked like URL ingest's (:func:`check_host`): loopback, private,
    link-local, multicast and metadata addresses are refused unless ``policy`` admits them. The
    messages never hold the URL's credentials. Stream workers repeat the check before every
    connection attempt (``StreamWorker(url_check=...)``); FFmpeg resolves the name once more when
    it connects, so the window left for DNS rebinding is one resolution.

    Raises:
        UrlRefused: 422 for a malformed URL, another scheme, a missing or unresolvable host;
            403 for a refused address.
    """
    from urllib.parse import urlsplit

    from ingest_workers.stream_policy import safe_url, source_kind

    text = str(url).strip()
    if not text or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise UrlRefused("malformed stream URL (empty, or with spaces or control characters)", code="url_invalid", status=422)
    try:
        kind = source_kind(text)
    except ValueError as exc:
        raise UrlRefused(str(exc), code="url_invalid", status=422) from None
    if kind == "file":
        raise UrlRefused("a stream URL needs a network scheme (rtsp, http(s), udp, rtp, rtmp, srt), not a local file",
                         code="url_invalid", status=422)
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UrlRefused(f"malformed stream URL {safe_url(text)}", code="url_invalid", status=422) from None
    if not host:
        raise UrlRefused(f"the stream URL {safe_url(text)} has no host", code="url_invalid", status=422)
    if "@" in parts.path or (parts.password and parts.password in safe_url(text)):
        raise UrlRefused("ambiguous credentials in the stream URL: percent-encode '@', '/', '?' and '#' in the "
                         "user name and password", code="url_invalid", status=422)
    check_host(host, port or _STREAM_PORTS.get(parts.scheme.lower(), 0), policy, resolver, verb="stream from")
    return kind


def _pinned_request(target: Target, timeout: httpx.Timeout) -> httpx.Request:
    host_header = target.host if target.port == (443 if target.url.scheme == "https" else 80) else f"{target.host}:{target.port}"
    if ":" in target.host and not target.host.startswith("["):
        host_header = f"[{target.host}]" if target.port in (80, 443) else f"[{target.host}]:{target.port}"
    pinned = target.url.copy_with(host=target.ip)
    ext = {"timeout": timeout.as_dict()}
    if target.url.scheme == "https":
        ext["sni_hostname"] = target.host
    return httpx.Request("GET", pinned, headers={"Host": host_header, "User-Agent": "vidmem-ingest/1", "Accept": "*/*"}, extensions=ext)


@dataclass
class Fetch:
    """An open, checked response: ``url`` is the final URL after redirects (credentials kept out of
    logs by :func:`memory_core.logging.redact`)."""

    url: str
    response: httpx.Response
    client: httpx.Client
    hops: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Close the response and the client."""
        try:
            self.response.close()
        finally:
            self.client.close()


def open_checked(url: str, policy: UrlPolicy, *, resolver: Resolver = system_resolver) -> Fetch:
    """GET ``url`` following redirects by hand, checking every hop; the body is not read.

    Raises:
        UrlRefused: a hop is refused (403), there are too many redirects or the origin answers an
            error or cannot be reached (422), or it announces more than ``policy.max_bytes`` (413).
    """
    timeout = httpx.Timeout(policy.read_timeout_s, connect=policy.connect_timeout_s)
    client = httpx.Client(trust_env=False, follow_redirects=False, verify=True)
    hops: list[str] = []
    current = str(url)
    try:
        for _ in range(policy.max_redirects + 1):
            target = check_url(current, policy, resolver)
            hops.append(redact(current))
            try:
                response = client.send(_pinned_request(target, timeout), stream=True)
            except httpx.HTTPError as exc:
                raise UrlRefused(f"cannot fetch {redact(current)}: {exc.__class__.__name__}", code="url_unreachable", status=422) from None
            if response.status_code in _REDIRECTS and "location" in response.headers:
                location = response.headers["location"]
                response.close()
                current = urljoin(current, location)
                continue
            if response.status_code >= 400:
                response.close()
                raise UrlRefused(f"origin answered HTTP {response.status_code}", code="url_fetch_failed", status=422)
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                response.close()
                raise UrlRefused(f"remote file is {int(length)} bytes, more than the limit {policy.max_bytes}", code="too_large", status=413)
            return Fetch(url=current, response=response, client=client, hops=hops)
        raise UrlRefused(f"more than {policy.max_redirects} redirects", code="url_redirects", status=422)
    except BaseException:
        client.close()
        raise


def download(url: str, dest_dir: Path, policy: UrlPolicy, *, cancel: threading.Event | None = None,
             progress: Callable[[int], None] | None = None, resolver: Resolver = system_resolver,
             suffix: str = "") -> tuple[Path, int]:
    """Fetch ``url`` into a new file in ``dest_dir`` (``.part`` while it downloads, renamed when
    complete). Returns the file and its size in bytes; nothing is left behind on failure.

    Raises:
        UrlRefused: as :func:`open_checked`; 413 when the body passes ``max_bytes``; 422 when the
            download runs past ``timeout_s`` or breaks off.
        InterruptedError: when ``cancel`` is set.
    """
    deadline = time.monotonic() + policy.timeout_s
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    part = dest_dir / f".{name}.part"
    final = dest_dir / f"{name}{suffix}"
    fetch = open_checked(url, policy, resolver=resolver)
    size = 0
    try:
        with open(part, "wb") as fh:
            for chunk in fetch.response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > policy.max_bytes:
                    raise UrlRefused(f"download passed the limit of {policy.max_bytes} bytes", code="too_large", status=413)
                if time.monotonic() > deadline:
                    raise UrlRefused(f"download took longer than {policy.timeout_s:.0f} s", code="url_timeout", status=422)
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("cancelled")
                fh.write(chunk)
                if progress is not None:
                    progress(size)
        os.replace(part, final)
        log.info("url downloaded", url=redact(fetch.url), bytes=size, hops=len(fetch.hops))
        return final, size
    except httpx.HTTPError as exc:
        raise UrlRefused(f"download broke off: {exc.__class__.__name__}", code="url_fetch_failed", status=422) from None
    finally:
        fetch.close()
        part.unlink(missing_ok=True)
