"""dav.reads.ReadRunner: short reads inline, worker threads after a slow one, and when turned off."""

from __future__ import annotations

import threading
import time

import pytest
import trio

from ocis.dav.reads import ReadRunner


def _where() -> str:
    return "loop" if threading.current_thread() is threading.main_thread() else "thread"


def _slow() -> str:
    time.sleep(0.08)
    return _where()


def test_inline_until_a_read_is_slow_then_threads_for_a_while() -> None:
    async def main() -> list[str]:
        runner = ReadRunner(trio.CapacityLimiter(2), slow=0.05, backoff=0.3)
        seen = [await runner(_where), await runner(_slow), await runner(_where)]
        await trio.sleep(0.35)
        seen.append(await runner(_where))
        return seen

    assert trio.run(main) == ["loop", "loop", "thread", "loop"]


def test_turned_off_always_threads_and_errors_pass_through() -> None:
    def boom() -> None:
        raise ValueError("x")

    async def main() -> str:
        for runner in (ReadRunner(trio.CapacityLimiter(2)), ReadRunner(trio.CapacityLimiter(2), inline=False)):
            with pytest.raises(ValueError):
                await runner(boom)
        return str(await ReadRunner(trio.CapacityLimiter(2), inline=False)(_where))

    assert trio.run(main) == "thread"


def test_a_key_that_was_slow_goes_to_threads_others_stay_inline() -> None:
    def slowish() -> str:
        time.sleep(0.03)
        return _where()

    async def main() -> list[str]:
        runner = ReadRunner(trio.CapacityLimiter(2), slow=1.0, slow_key=0.02)
        return [await runner(slowish, key="big"), await runner(_where, key="big"),
                await runner(_where, key="small"), await runner(slowish), await runner(_where)]

    # a slow read without a key is remembered by nobody (and stays under the global 1 s guard)
    assert trio.run(main) == ["loop", "thread", "loop", "loop", "loop"]
