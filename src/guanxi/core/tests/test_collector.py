"""collector_paused: the cyclic collector off inside, back on after the last
overlapping pause, and left off if it was off before."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from guanxi.core.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_running_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_running_again_after_an_error_inside() -> None:
    gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("the request failed")
    assert gc.isenabled()


def test_overlapping_pauses_of_two_threads_end_with_the_last() -> None:
    gc.enable()
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        first_in.wait()
        with collector_paused():
            pass
        seen.append(gc.isenabled())  # the first pause still holds
        second_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with collector_paused():
        first_in.set()
        second_done.wait(timeout=30)
        assert not gc.isenabled()
    thread.join()
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
