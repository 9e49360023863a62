"""An OpenAI-compatible chat-completions endpoint (a local model server such as
llama.cpp's `llama-server` or vLLM) as an organisation's classifier.

Each message is one request: the system prompt asks for a JSON object with the
message's sentiment and intent (and how sure the model is); the answer must be exactly
that, with Roost's labels, or the message keeps the built-in answer. Calls are strict:
`timeout_s` bounds each request from start to last byte, the first request of a batch
that times out or cannot connect ends the endpoint's part in that batch (the rest keep
the built-in answer at once, so a dead server costs one timeout per batch, not one per
message), and the destination rules of `roost.channels.destinations` apply (plain http
only to hosts the operator allows). The API key is sent as a bearer token and appears
in no log line, reason or page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from roost.channels.destinations import DestinationRefused, guarded_transport, url_check
from roost.inbox.classify import Intent, Sentiment
from roost.inbox.classify_backends.interface import (
    ClassifierInput,
    Labelled,
    builtin_classify,
    relabelled,
)

MAX_ANSWER_BYTES = 64 * 1024
MAX_TEXT_CHARS = 2000
SYSTEM_PROMPT = (
    "You label messages that customers send to a company on social media. "
    "Answer with one JSON object and nothing else: "
    '{"sentiment": one of ' + ", ".join(f'"{s.value}"' for s in Sentiment) + ", "
    '"intent": one of ' + ", ".join(f'"{i.value}"' for i in Intent) + ", "
    '"confidence": a number from 0 to 1, how sure you are of the intent}. '
    '"spam" covers unsolicited promotion, scams and abuse aimed at people.'
)


class EndpointFailure(Exception):
    """The endpoint gave no usable answer; the message is the reason, with no secret."""


class EndpointUnreachable(EndpointFailure):
    """A timeout or a connection that failed: the rest of the batch does not try again."""


def completions_url(base_url: str) -> str:
    """The chat-completions address of a server given by its base (`.../v1`) or in full."""
    url = base_url.strip().rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def _labels(content: Any) -> tuple[Sentiment, Intent, float | None]:
    if not isinstance(content, str):
        raise EndpointFailure("malformed answer: the message content is not text")
    text = content.strip()
    if text.startswith("```"):  # some servers fence JSON even when asked not to
        text = text.strip("`").removeprefix("json").strip()
    try:
        found = json.loads(text)
    except ValueError:
        raise EndpointFailure("malformed answer: the content is not JSON") from None
    if not isinstance(found, dict):
        raise EndpointFailure("malformed answer: the content is not a JSON object")
    try:
        sentiment = Sentiment(str(found.get("sentiment", "")).strip().lower())
        intent = Intent(str(found.get("intent", "")).strip().lower())
    except ValueError:
        raise EndpointFailure("malformed answer: unknown sentiment or intent") from None
    confidence = found.get("confidence")
    if confidence is None:
        return sentiment, intent, None
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise EndpointFailure("malformed answer: confidence is not a number")
    if not 0 <= confidence <= 1:
        raise EndpointFailure("malformed answer: confidence is not between 0 and 1")
    return sentiment, intent, float(confidence)


def _content(body: bytes) -> Any:
    try:
        answer = json.loads(body)
        return answer["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise EndpointFailure("malformed answer: not a chat completion") from None


def _intent_scores(intent: Intent, confidence: float | None) -> Mapping[str, float] | None:
    """The model's confidence in its intent, the rest spread evenly over the others."""
    if confidence is None:
        return None
    others = [i.value for i in Intent if i is not intent]
    rest = (1.0 - confidence) / len(others)
    return {intent.value: confidence, **dict.fromkeys(others, rest)}


class EndpointBackend:
    name = "endpoint"

    def __init__(self, *, url: str, model: str, api_key: str, timeout_s: float) -> None:
        self.url = completions_url(url)
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s

    def __repr__(self) -> str:  # never show the key
        return f"<EndpointBackend {self.url} model={self.model!r}>"

    def _ask(self, client: httpx.Client, text: str) -> tuple[Sentiment, Intent, float | None]:
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text[:MAX_TEXT_CHARS]},
            ],
            "temperature": 0,
            "max_tokens": 80,
            "response_format": {"type": "json_object"},
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        deadline = time.monotonic() + self.timeout_s
        try:
            with client.stream("POST", self.url, json=payload, headers=headers) as response:
                if response.status_code != 200:
                    raise EndpointFailure(f"the endpoint answered HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if time.monotonic() > deadline:
                        raise EndpointUnreachable(f"timed out after {self.timeout_s:g} s")
                    if len(body) > MAX_ANSWER_BYTES:
                        raise EndpointFailure("malformed answer: longer than 64 KiB")
        except httpx.TimeoutException:
            raise EndpointUnreachable(f"timed out after {self.timeout_s:g} s") from None
        except httpx.HTTPError as error:
            # Connection errors name the host at most, never the request's headers.
            raise EndpointUnreachable(
                f"could not reach the endpoint ({type(error).__name__})"
            ) from None
        if time.monotonic() > deadline:
            raise EndpointUnreachable(f"timed out after {self.timeout_s:g} s")
        return _labels(_content(body))

    def classify_many(self, items: Sequence[ClassifierInput]) -> Labelled:
        base = [builtin_classify(item) for item in items]
        if not items:
            return Labelled(results=base)
        try:
            url_check(self.url)
        except DestinationRefused:
            reason = "the endpoint's address is not one Roost may call (see operations docs)"
            return Labelled(results=base, fallback_reasons=[reason] * len(items))
        results: list = []
        reasons: list[str] = []
        stopped = ""
        timeout = httpx.Timeout(self.timeout_s)
        with httpx.Client(
            transport=guarded_transport(), timeout=timeout, trust_env=False
        ) as client:
            for item, found in zip(items, base, strict=True):
                if stopped:
                    results.append(found)
                    reasons.append(stopped)
                    continue
                try:
                    sentiment, intent, confidence = self._ask(client, item.text)
                except EndpointUnreachable as error:
                    stopped = f"{error}; the rest of the batch was not sent"
                    results.append(found)
                    reasons.append(str(error))
                    continue
                except EndpointFailure as error:
                    results.append(found)
                    reasons.append(str(error))
                    continue
                results.append(
                    relabelled(
                        found,
                        item=item,
                        sentiment=sentiment,
                        intent=intent,
                        intent_scores=_intent_scores(intent, confidence),
                    )
                )
        return Labelled(results=results, fallback_reasons=reasons)
