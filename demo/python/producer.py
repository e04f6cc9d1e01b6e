"""A Python BullMQ producer for the qtop demo: same job contract as `qtop produce`.

    python demo/python/producer.py [--redis URL] [--queue demo] [--prefix bull]
                                   (--count N | --rate R [--duration S])
                                   [--work-ms MS] [--fail-rate P] [--poison]
                                   [--attempts 3] [--backoff-ms 200]

Prints `added <n> jobs`. Needs `pip install bullmq`.
"""

import asyncio
import secrets
import time

from bullmq import Queue

from common import base_parser, stop_event


async def main() -> None:
    parser = base_parser("Python BullMQ producer for the qtop demo")
    amount = parser.add_mutually_exclusive_group(required=True)
    amount.add_argument("--count", type=int)
    amount.add_argument("--rate", type=float)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--work-ms", type=float)
    parser.add_argument("--fail-rate", type=float)
    parser.add_argument("--poison", action="store_true")
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--backoff-ms", type=int, default=200)
    args = parser.parse_args()
    queue = Queue(args.queue, {"connection": args.redis, "prefix": args.prefix})
    run_id = f"py-{secrets.token_hex(6)}"
    opts = {"attempts": args.attempts}
    if args.backoff_ms > 0:
        opts["backoff"] = {"type": "exponential", "delay": args.backoff_ms}
    sequence = 0

    def job() -> dict:
        nonlocal sequence
        sequence += 1
        data = {"idempotency_key": f"{run_id}-{sequence}"}
        if args.work_ms is not None:
            data["work_ms"] = args.work_ms
        if args.fail_rate is not None:
            data["fail_rate"] = args.fail_rate
        if args.poison:
            data["poison"] = True
        return {"name": "demo", "data": data, "opts": opts}

    added = 0
    if args.count is not None:
        while added < args.count:
            batch = [job() for _ in range(min(1000, args.count - added))]
            await queue.addBulk(batch)
            added += len(batch)
    else:
        stop = stop_event()
        total = round(args.rate * args.duration) if args.duration is not None else None
        start = time.monotonic()
        # Job i is due at start + i/rate: scheduled against the start, so it never drifts.
        while (total is None or added < total) and not stop.is_set():
            wait = start + added / args.rate - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                    break
                except asyncio.TimeoutError:
                    pass
            spec = job()
            await queue.add(spec["name"], spec["data"], spec["opts"])
            added += 1
    print(f"added {added} jobs", flush=True)
    await queue.close()


if __name__ == "__main__":
    asyncio.run(main())
