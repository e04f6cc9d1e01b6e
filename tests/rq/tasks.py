"""Job functions for qtop's RQ tests (run by real `rq worker` processes)."""

import os
import time


def ok(n=0):
    return n


def slow(seconds=600):
    time.sleep(seconds)
    return seconds


def fail(message="card declined for order 1234"):
    raise ValueError(message)


def flaky(marker):
    """Fails the first time (leaving `marker`), succeeds once `marker` exists."""
    if os.path.exists(marker):
        return "second time lucky"
    with open(marker, "w") as f:
        f.write("failed once")
    raise RuntimeError("first attempt fails")
