"""runtime.body_timeout.BodyTimeoutMiddleware (HTTP/2 and hypercorn's HTTP/1.1 path): a body that
pauses longer than the timeout ends with a disconnect for the app and a 408 for the client; a body
that keeps coming, the wait after the body, and scopes whose server times bodies out (h1) are left
alone. The HTTP/1.1 layer's own timeout is tested in test_h1.py."""

from __future__ import annotations

import time
from typing import Any

import pytest
import trio
from asgi_client import echo

from ocis.runtime.body_timeout import (
    CLOCKS,
    ENFORCED,
    TIMED_OUT,
    ArrivalClock,
    BodyTimeoutMiddleware,
    wait_arriving,
)

Message = dict[str, Any]


def _scope(**extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "PUT", "path": "/f", "headers": [], "extensions": {}, **extra}


def _run(scope: dict[str, Any], pieces: list[tuple[float, Message]], app: Any = echo,
         timeout: float = 0.3, clock: ArrivalClock | None = None) -> list[Message]:
    """Serve one request: the client's messages come after the given pauses, each counted from the
    one before (then nothing more). With a ``clock``, bytes keep arriving on the connection (every
    0.1 s) until the last message. ``receive`` is cancel-safe, as a server's is."""
    sent: list[Message] = []

    async def main() -> None:
        due, queue = trio.current_time(), []
        for pause, msg in pieces:
            due += pause
            queue.append((due, msg))
        undelivered = [len(pieces)]

        async def receive() -> Message:
            if not queue:
                await trio.sleep_forever()
            await trio.sleep_until(queue[0][0])
            undelivered[0] -= 1
            return queue.pop(0)[1]

        async def send(msg: Message) -> None:
            sent.append(msg)

        async def trickle() -> None:  # a TLS record in the making: bytes, but no whole message yet
            assert clock is not None
            while undelivered[0]:
                clock.last = trio.current_time()
                await trio.sleep(0.1)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                if clock is not None:
                    nursery.start_soon(trickle)
                await BodyTimeoutMiddleware(app, timeout)(scope, receive, send)
                nursery.cancel_scope.cancel()

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


def test_http2_bytes_arriving_on_the_connection_keep_a_slow_body_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record of a slow HTTP/2 upload takes longer than the timeout to arrive whole (trial finding):
    the connection's clock (kept by h1's hand-over to hypercorn) says bytes are coming."""
    clock = ArrivalClock()
    monkeypatch.setitem(CLOCKS, ("127.0.0.1", 40000), clock)
    scope = _scope(http_version="2", client=("127.0.0.1", 40000))
    sent = _run(scope, [(1.0, {"type": "http.request", "body": b"slow", "more_body": False})], clock=clock)
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"PUT slow") and TIMED_OUT not in scope


def test_bytes_already_waiting_when_the_deadline_passes_are_read() -> None:
    """The server itself was paused (trial: kill -STOP for 65 s): the message is there as the
    deadline passes, and it is read rather than blamed on the client."""

    async def main() -> str:
        send, receive = trio.open_memory_channel[str](1)
        clock = ArrivalClock()

        async def paused_then_data() -> None:
            await trio.sleep(0.05)
            time.sleep(0.4)  # noqa: ASYNC251 - the point: the whole process stalls past the 0.2 s deadline...
            await trio.sleep(0.01)  # ...and the data is there right after
            send.send_nowait("data")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(paused_then_data)
            return await wait_arriving(receive.receive, clock, 0.2)

    assert trio.run(main) == "data"


def test_nothing_arriving_times_out_after_the_grace() -> None:
    async def main() -> float:
        _, receive = trio.open_memory_channel[str](1)
        t0 = trio.current_time()
        with pytest.raises(trio.TooSlowError):
            await wait_arriving(receive.receive, ArrivalClock(), 0.2)
        return trio.current_time() - t0

    assert 0.2 <= trio.run(main) < 1.0
