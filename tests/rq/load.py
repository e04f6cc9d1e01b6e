"""Load for qtop's RQ cost bench (benches/rq_cost.rs).

    python load.py --redis URL setup N          # N queues q0…q{N-1}, one job waiting on each
    python load.py --redis URL produce RATE Q…  # RATE jobs/s on each queue Q, until stdin closes

`produce` prints READY, then paces `enqueue` of tasks.ok evenly.
"""

import argparse
import sys
import threading
import time

from redis import Redis
from rq import Queue


def connect(url):
    if url.startswith("unix://"):
        return Redis(unix_socket_path=url[len("unix://"):])
    return Redis.from_url(url)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("n", type=int)
    p = sub.add_parser("produce")
    p.add_argument("rate", type=float)
    p.add_argument("queues", nargs="+")
    args = parser.parse_args()
    conn = connect(args.redis)
    if args.command == "setup":
        for i in range(args.n):
            Queue(f"q{i}", connection=conn).enqueue("tasks.ok", i)
        print("READY", flush=True)
        return
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    queues = [Queue(name, connection=conn) for name in args.queues]
    every = 1.0 / (args.rate * len(queues))
    print("READY", flush=True)
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        queues[i % len(queues)].enqueue("tasks.ok", i)
        i += 1
        next_at += every
        time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    main()
