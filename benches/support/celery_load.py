"""Load and Celery's own monitoring for qtop's Celery cost bench (benches/celery_cost.rs).
Runs in the pinned Celery virtualenv (tests/celery/.venv); the broker is $CELERY_BROKER.

    python celery_load.py setup Q…           # one tasks.nap message waiting on each queue Q
    python celery_load.py produce RATE Q…    # RATE tasks/s on each queue Q, until stdin closes
    python celery_load.py api Q…             # Celery's API read once a second, until stdin closes

`api` does each second what Flower's dashboard and `celery inspect` do: one broadcast each
of `inspect().active()`, `.reserved()`, `.stats()` (timeout 1 s, in parallel threads as
Flower's inspector runs them), and the length of every queue as Flower's broker API reads
it (redis-py, `LLEN` of the queue and of its priority lists `Q\\x06\\x16{3,6,9}`, one round
trip each). On exit it prints `DONE reads=R seconds=S`.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "celery"))

from redis import Redis  # noqa: E402
from tasks import app  # noqa: E402

SEP = "\x06\x16"
PRIORITY_STEPS = [0, 3, 6, 9]


def until_stdin_closes():
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    return stop


def setup(queues):
    with app.producer_or_acquire() as producer:
        for name in queues:
            app.send_task("tasks.nap", args=[0.0], queue=name, producer=producer)
    print("READY", flush=True)


def produce(rate, queues):
    stop = until_stdin_closes()
    every = 1.0 / (rate * len(queues))
    print("READY", flush=True)
    next_at = time.monotonic()
    i = 0
    with app.producer_or_acquire() as producer:
        while not stop.is_set():
            app.send_task("tasks.nap", args=[0.0], queue=queues[i % len(queues)], producer=producer)
            i += 1
            next_at += every
            time.sleep(max(0.0, next_at - time.monotonic()))


def queue_lengths(redis, queues):
    # Flower's RedisBase.queues: sum(redis.llen(x) for x in priority_names), per queue.
    lengths = {}
    for name in queues:
        names = [name if step == 0 else f"{name}{SEP}{step}" for step in PRIORITY_STEPS]
        lengths[name] = sum(redis.llen(key) for key in names)
    return lengths


def api(queues):
    stop = until_stdin_closes()
    redis = Redis.from_url(os.environ["CELERY_BROKER"])
    replies = {}

    def inspect(method):
        replies[method] = getattr(app.control.inspect(timeout=1.0), method)() or {}

    started = time.monotonic()
    reads = 0
    next_at = started
    while not stop.is_set():
        threads = [threading.Thread(target=inspect, args=(m,)) for m in ("active", "reserved", "stats")]
        for thread in threads:
            thread.start()
        lengths = queue_lengths(redis, queues)
        for thread in threads:
            thread.join()
        reads += 1
        if reads == 1:
            print(f"READY workers={len(replies.get('stats', {}))} waiting={sum(lengths.values())}", flush=True)
        next_at += 1.0
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = max(next_at, time.monotonic())
    print(f"DONE reads={reads} seconds={time.monotonic() - started:.2f}", flush=True)


def main(argv):
    command = argv[0]
    if command == "setup":
        setup(argv[1:])
    elif command == "produce":
        produce(float(argv[1]), argv[2:])
    elif command == "api":
        api(argv[1:])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
