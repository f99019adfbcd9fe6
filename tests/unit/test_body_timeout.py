"""runtime.body_timeout.BodyTimeoutMiddleware (HTTP/2 and hypercorn's HTTP/1.1 path): a body that
pauses longer than the timeout ends with a disconnect for the app and a 408 for the client; a body
that keeps coming, the wait after the body, and scopes whose server times bodies out (h1) are left
alone. The HTTP/1.1 layer's own timeout is tested in test_h1.py."""

from __future__ import annotations

from typing import Any

import trio
from asgi_client import echo

from ocis.runtime.body_timeout import ENFORCED, TIMED_OUT, BodyTimeoutMiddleware

Message = dict[str, Any]


def _scope(**extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "PUT", "path": "/f", "headers": [], "extensions": {}, **extra}


def _run(scope: dict[str, Any], pieces: list[tuple[float, Message]], app: Any = echo,
         timeout: float = 0.3) -> list[Message]:
    """Serve one request: the client's messages come after the given pauses (then nothing more)."""
    sent: list[Message] = []

    async def main() -> None:
        queue = list(pieces)

        async def receive() -> Message:
            if not queue:
                await trio.sleep_forever()
            pause, msg = queue.pop(0)
            await trio.sleep(pause)
            return msg

        async def send(msg: Message) -> None:
            sent.append(msg)

        with trio.fail_after(5):
            await BodyTimeoutMiddleware(app, timeout)(scope, receive, send)

    trio.run(main)
    return sent


def test_a_stalled_body_gets_408_and_the_scope_says_so() -> None:
    scope = _scope(http_version="2")
    sent = _run(scope, [(0, {"type": "http.request", "body": b"ab", "more_body": True})])
    assert sent[0]["status"] == 408 and scope[TIMED_OUT] is True


def test_a_body_that_keeps_coming_is_not_cut_off() -> None:
    pieces = [(0.2, {"type": "http.request", "body": bytes([65 + i]), "more_body": True}) for i in range(5)]
    pieces.append((0.2, {"type": "http.request", "body": b"!", "more_body": False}))
    scope = _scope()
    sent = _run(scope, pieces)  # 1.2 s in all, each pause under 0.3 s
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"PUT ABCDE!") and TIMED_OUT not in scope


def test_the_wait_after_the_body_is_not_limited() -> None:
    async def waits_for_disconnect(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "http.request"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        msg = await receive()  # e.g. a streaming response watching for the client to leave
        await send({"type": "http.response.body", "body": msg["type"].encode()})

    sent = _run(_scope(), [(0, {"type": "http.request", "body": b"", "more_body": False}),
                           (1.0, {"type": "http.disconnect"})], app=waits_for_disconnect)
    assert sent[-1]["body"] == b"http.disconnect" and all(m.get("status") != 408 for m in sent)


def test_a_scope_whose_server_times_bodies_out_is_passed_through() -> None:
    scope = _scope(extensions={ENFORCED: {}})
    sent = _run(scope, [(0.6, {"type": "http.request", "body": b"late", "more_body": False})])
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"PUT late")
