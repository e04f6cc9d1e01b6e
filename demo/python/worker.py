"""A Python BullMQ worker for the qtop demo: same job contract as `qtop worker`.

    python demo/python/worker.py [--redis URL] [--queue demo] [--prefix bull]
                                 [--concurrency 4] [--work-ms 50] [--fail-rate 0] [--name py-<pid>]

Job data: {idempotency_key, work_ms?, work_dist? ("fixed"|"exp"), fail_rate?, poison?}.
The side effect commits halfway through the work (the idempotency key is SET then), so a job
redelivered after a crash is skipped and counted in `<prefix>:<queue>:qtop:stats`.
Prints `READY <name>`; stops gracefully on a `stop` line, stdin EOF, SIGTERM or Ctrl-C, then
prints `STOPPED {"done": …, "failed": …, "duplicates": …}`. Needs `pip install bullmq`.
"""

import asyncio
import json
import math
import os
import random

from bullmq import Worker

from common import base_parser, done_key, stats_key, stop_event

DONE_TTL_S = 3600


def number(value, default):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


async def main() -> None:
    parser = base_parser("Python BullMQ worker for the qtop demo")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--work-ms", type=float, default=50.0)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--name", default=f"py-{os.getpid()}")
    args = parser.parse_args()
    stop = stop_event()
    tally = {"done": 0, "failed": 0, "duplicates": 0}
    worker = None

    async def process(job, token):
        data = job.data if isinstance(job.data, dict) else {}
        redis = worker.client
        key = data.get("idempotency_key")
        if key and await redis.exists(done_key(args.prefix, args.queue, key)):
            await redis.hincrby(stats_key(args.prefix, args.queue), "duplicates_suppressed", 1)
            tally["duplicates"] += 1
            return {"worker": args.name, "duplicate": True}
        mean = number(data.get("work_ms"), args.work_ms)
        if data.get("work_dist", "exp") == "exp":
            ms = min(-mean * math.log(1.0 - random.random()), 20 * mean)
        else:
            ms = mean
        fail_rate = number(data.get("fail_rate"), args.fail_rate)
        await asyncio.sleep(ms / 2000)
        if data.get("poison") is True:
            raise Exception("poison job: this job always fails")
        if random.random() < fail_rate:
            raise Exception(f"simulated failure (fail rate {fail_rate})")
        if key:
            await redis.set(done_key(args.prefix, args.queue, key), args.name, ex=DONE_TTL_S)
        await asyncio.sleep(ms / 2000)
        return {"worker": args.name, "duplicate": False}

    worker = Worker(args.queue, process, {
        "connection": args.redis,
        "prefix": args.prefix,
        "concurrency": args.concurrency,
        "name": args.name,
    })
    worker.on("completed", lambda *_: tally.__setitem__("done", tally["done"] + 1))
    worker.on("failed", lambda *_: tally.__setitem__("failed", tally["failed"] + 1))
    print(f"READY {args.name}", flush=True)
    await stop.wait()
    await worker.close()
    print(f"STOPPED {json.dumps(tally)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
