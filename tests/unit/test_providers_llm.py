"""OpenAI-compatible client against a tiny local HTTP server (retries, auth header, no key in logs)."""

from __future__ import annotations

import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import structlog
from pydantic import SecretStr

from memory_core.providers import LLMError, ProviderRegistry
from memory_core.providers import llm_openai
from memory_core.providers.llm_openai import OpenAIChatClient, parse_json_reply
from memory_core.settings import Settings

KEY = "sk-test-7f3a9c1e5b2d4f60a8e1c3b5d7f9a1b3"


class _Server:
    """Answers POST /v1/chat/completions; ``plan`` is a list of status codes, one per call
    (the last repeats); 200 replies echo the user message."""

    def __init__(self, plan: list[int], content: str | None = None) -> None:
        self.plan, self.content = plan, content
        self.calls: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - keep the test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status = server.plan[min(len(server.calls), len(server.plan)) - 1]
                if status != 200:
                    payload = b'{"error": "busy"}'
                else:
                    text = server.content if server.content is not None else "echo: " + body["messages"][-1]["content"]
                    payload = json.dumps(
                        {"id": "x", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
                    ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.httpd.shutdown()
        self.httpd.server_close()


def _rendering_chain() -> list:
    """The project's structlog processors, rendered to text for a PrintLogger: once
    ``configure_logging`` ran in this process, the chain ends by handing the event to the stdlib
    formatter (``wrap_for_formatter``), which a PrintLogger cannot take."""
    chain = list(structlog.get_config()["processors"])
    if chain and chain[-1] is structlog.stdlib.ProcessorFormatter.wrap_for_formatter:
        chain[-1] = structlog.processors.KeyValueRenderer()
    return chain


def test_retries_503_sends_bearer_and_never_logs_the_key(tmp_path, caplog, monkeypatch) -> None:
    for name in (None, "httpx", "httpcore"):  # stdlib loggers at their most verbose
        caplog.set_level(logging.DEBUG, logger=name)
    rendered = io.StringIO()  # the client's structlog output, through the project's processors
    monkeypatch.setattr(
        llm_openai, "log", structlog.wrap_logger(structlog.PrintLogger(rendered), processors=_rendering_chain())
    )
    with _Server([503, 200]) as srv:
        settings = Settings(home=tmp_path, llm={"base_url": srv.url, "api_key": KEY, "model": "tiny", "timeout_s": 10})
        client = ProviderRegistry(settings).llm()
        assert client is not None
        reply = client.complete("You are terse.", "where is the red truck?", max_tokens=32)
    assert reply == "echo: where is the red truck?"
    assert len(srv.calls) == 2  # the 503 was retried
    for call in srv.calls:
        assert call["path"] == "/v1/chat/completions"
        assert call["auth"] == f"Bearer {KEY}"
    body = srv.calls[-1]["body"]
    assert body["model"] == "tiny" and body["max_tokens"] == 32
    assert body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "where is the red truck?"},
    ]
    logs = rendered.getvalue()
    assert "llm retry" in logs and "503" in logs  # the retry was logged ...
    assert caplog.records, "expected httpx debug records"
    assert KEY not in logs and KEY not in caplog.text  # ... and the key never was
    assert KEY not in client.version and KEY not in repr(vars(client))


def test_gives_up_after_the_last_try(tmp_path) -> None:
    with _Server([500]) as srv:
        client = OpenAIChatClient(srv.url, api_key=SecretStr(KEY), retries=3, backoff_s=0.01)
        with pytest.raises(LLMError, match="after 3 attempts"):
            client.complete("s", "u")
    assert len(srv.calls) == 3


def test_429_is_retried_but_400_is_not(tmp_path) -> None:
    with _Server([429, 200]) as srv:
        client = OpenAIChatClient(srv.url, retries=3, backoff_s=0.01)
        assert client.complete("s", "u") == "echo: u"
        assert srv.calls[0]["auth"] is None  # no key configured -> no header
    with _Server([400]) as srv:
        client = OpenAIChatClient(srv.url, retries=3, backoff_s=0.01)
        with pytest.raises(LLMError, match="HTTP 400"):
            client.complete("s", "u")
    assert len(srv.calls) == 1


def test_connection_refused_becomes_llm_error() -> None:
    with _Server([200]) as srv:
        url = srv.url
    client = OpenAIChatClient(url, retries=2, backoff_s=0.01)  # server is gone
    with pytest.raises(LLMError, match="after 2 attempts"):
        client.complete("s", "u")


def test_malformed_reply_and_json_content() -> None:
    with _Server([200], content='```json\n{"answer": "bay 3", "confidence": 0.8}\n```') as srv:
        client = OpenAIChatClient(srv.url, backoff_s=0.01)
        assert client.complete_json("s", "u") == {"answer": "bay 3", "confidence": 0.8}
    with _Server([200], content="no json here") as srv:
        client = OpenAIChatClient(srv.url, backoff_s=0.01)
        with pytest.raises(LLMError, match="not JSON"):
            client.complete_json("s", "u")
    assert parse_json_reply('Sure: {"a": [1, 2]} done') == {"a": [1, 2]}


def test_typed_answer_through_an_openai_compatible_server() -> None:
    """The answer path end to end over HTTP: the typed extraction and the evidence go to the LLM;
    a cited short answer is taken, an uncited one raises LLMError (the caller keeps the deterministic answer)."""
    from datetime import UTC, datetime

    from api_schemas import Evidence, Kind, Level
    from memory_core.retrieval import answer as compose
    from memory_core.retrieval.answer_types import AnswerType
    from memory_core.retrieval.extract import extract

    t = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    text = "Tom said: 'The door code changed. It is now two five five zero.'"
    ev = [Evidence(source="door", start=t, end=t, level=Level.CLIP, kind=Kind.EPISODIC, text=text, score=0.8)]
    found = extract("What is the new door code?", ["new", "door", "code"], AnswerType.NUMBER, [(0, text, 1.0)])
    typed = compose.describe_extraction("number", found, ev)
    draft = compose.compose_typed(found, ev[0], UTC)
    with _Server([200], content="2550 \u2014 said by Tom on 6 March 2026 at 08:00 UTC [1].") as srv:
        client = OpenAIChatClient(srv.url, backoff_s=0.01)
        reply, ok = compose.compose_llm(client, "What is the new door code?", "what", ev, draft, t, typed=typed)
    assert ok and reply.startswith("2550")
    messages = srv.calls[0]["body"]["messages"]
    assert "Start with the short answer itself" in messages[0]["content"]
    user = messages[1]["content"]
    assert "Expected answer type: number" in user and "Extracted answer: 2550 [1] (said by Tom" in user
    assert "[1] 2026-03-06T08:00:00+00:00" in user and draft in user
    with _Server([200], content="The code is 2550.") as srv:  # no citation: not taken
        client = OpenAIChatClient(srv.url, backoff_s=0.01)
        with pytest.raises(LLMError, match="cites no evidence"):
            compose.compose_llm(client, "What is the new door code?", "what", ev, draft, t, typed=typed)
