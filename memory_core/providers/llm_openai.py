"""OpenAI-compatible chat completions over httpx (vLLM, llama.cpp server, Ollama, hosted APIs).

``POST {base_url}/chat/completions`` with ``Authorization: Bearer <key>`` when a key is set. Connect
errors, dropped connections, HTTP 5xx and 429 are retried with exponential backoff (tenacity;
``Retry-After`` is honoured up to 30 s); other 4xx, timeouts while reading and malformed replies
raise :class:`LLMError` at once. The key is read from its ``SecretStr`` only to build the header
and is never logged; URLs are logged redacted.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from memory_core.logging import get_logger, redact
from memory_core.providers.base import LLMError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from memory_core.settings import Settings

log = get_logger(__name__)

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_json_reply(text: str) -> Any:
    """JSON from a model reply: plain JSON, a ```json fenced block, or the first {...}/[...] span."""
    text = text.strip()
    m = _FENCE.match(text)
    candidates = [m.group(1)] if m else [text]
    for open_ch, close_ch in (("{", "}"), ("[", "]")):
        i, j = text.find(open_ch), text.rfind(close_ch)
        if 0 <= i < j:
            candidates.append(text[i : j + 1])
    for cand in candidates:
        try:
            return json.loads(cand)
        except ValueError:
            continue
    raise LLMError(f"LLM reply is not JSON: {redact(text[:200])!r}")


class OpenAIChatClient:
    """``complete(system, user) -> str`` against an OpenAI-compatible endpoint; thread-safe
    (one pooled ``httpx.Client``). ``retries`` is the number of attempts in all."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "default",
        api_key: SecretStr | None = None,
        timeout_s: float = 60.0,
        max_tokens: int = 512,
        temperature: float = 0.1,
        retries: int = 4,
        backoff_s: float = 0.5,
        transport: Any = None,
    ) -> None:
        import httpx

        self._httpx = httpx
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.retries = max(1, retries)
        self.backoff_s = backoff_s
        headers = {"Content-Type": "application/json"}
        if api_key is not None and api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)), headers=headers, transport=transport)
        self.name = f"openai-compatible/{model}"
        self.version = f"{model}@{redact(self.base_url)}"

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> OpenAIChatClient:
        """Build from ``settings.llm`` (``name`` is the base URL)."""
        llm = settings.llm
        return cls(
            name,
            model=llm.model,
            api_key=llm.api_key,
            timeout_s=llm.timeout_s,
            max_tokens=llm.max_tokens,
            temperature=llm.temperature,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _post_once(self, payload: dict) -> dict:
        httpx = self._httpx
        url = f"{self.base_url}/chat/completions"
        try:
            resp = self._client.post(url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retryable(f"{type(exc).__name__} to {redact(url)}") from exc
        except httpx.HTTPError as exc:  # read timeout and the rest: no retry
            raise LLMError(f"LLM request to {redact(url)} failed: {type(exc).__name__}: {redact(str(exc))}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            retry_after = None
            try:
                retry_after = float(resp.headers.get("retry-after", ""))
            except ValueError:
                pass
            raise _Retryable(f"HTTP {resp.status_code} from {redact(url)}", retry_after)
        if resp.status_code >= 400:
            raise LLMError(f"LLM endpoint {redact(url)} answered HTTP {resp.status_code}: {redact(resp.text[:300])!r}")
        try:
            return resp.json()
        except ValueError as exc:
            raise LLMError(f"LLM endpoint {redact(url)} answered non-JSON: {redact(resp.text[:200])!r}") from exc

    def _wait(self, state) -> float:  # noqa: ANN001 - tenacity RetryCallState
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(8.0, self.backoff_s * (2 ** (state.attempt_number - 1)))
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(30.0, max(backoff, exc.retry_after))
        return backoff

    def _post(self, payload: dict) -> dict:
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

        def before_sleep(state) -> None:  # noqa: ANN001
            log.warning("llm retry", attempt=state.attempt_number, error=str(state.outcome.exception()))

        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._post_once, payload)
        except _Retryable as exc:
            raise LLMError(f"LLM endpoint failed after {self.retries} attempts: {exc}") from exc

    def complete(self, system: str, user: str, *, max_tokens: int | None = None) -> str:
        """The assistant's reply text (``choices[0].message.content``). Raises :class:`LLMError`."""
        payload = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": self.temperature,
        }
        data = self._post(payload)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"LLM reply has no choices[0].message.content: {redact(json.dumps(data)[:300])}") from exc
        if not isinstance(content, str):
            raise LLMError(f"LLM reply content is {type(content).__name__}, not text")
        return content.strip()

    def complete_json(self, system: str, user: str, *, max_tokens: int | None = None) -> Any:
        """:meth:`complete`, then parse the reply as JSON (fences tolerated). Raises :class:`LLMError`."""
        return parse_json_reply(self.complete(system, user, max_tokens=max_tokens))
