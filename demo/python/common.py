"""Shared bits of the Python demo scripts: arguments, the job contract, the qtop demo key
layout (must match src/source/bullmq/keys.rs) and the stop signals."""

import argparse
import asyncio
import os
import signal
import sys
import threading


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"),
                        help="redis://host:port[/db] or unix:///path/to/socket")
    parser.add_argument("--queue", default="demo")
    parser.add_argument("--prefix", default="bull")
    return parser


def done_key(prefix: str, queue: str, key: str) -> str:
    return f"{prefix}:{queue}:qtop:done:{key}"


def stats_key(prefix: str, queue: str) -> str:
    return f"{prefix}:{queue}:qtop:stats"


def stop_event() -> asyncio.Event:
    """Set on a `stop` line, stdin EOF, SIGTERM or Ctrl-C (call inside the running loop)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        loop.call_soon_threadsafe(stop.set)

    # Stdin from /dev/null (a background job in a script) is not a lifeline: ignore it.
    if os.path.realpath("/proc/self/fd/0") != os.devnull:
        threading.Thread(target=watch_stdin, daemon=True).start()
    return stop
