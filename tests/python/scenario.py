"""Queues made by the real Python `bullmq` package (3.4.4) for qtop's tests.

    python scenario.py --redis URL

Queue `py`: 3 completed, 2 failed after 2 attempts, one job held active by a worker named
`py-1` (concurrency 1), 4 waiting behind it. Prints one line
`READY {"py": counts (Python's own getJobCounts), "worker": "py-1"}`, then holds the active
job until stdin closes or a `stop` line, and exits 0.
"""

import argparse
import asyncio
import json
import sys

from bullmq import Queue, Worker

STATES = ["waiting", "active", "prioritized", "delayed", "completed", "failed", "waiting-children", "paused"]


async def wait_for(check, timeout=30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("scenario state not reached")
        await asyncio.sleep(0.05)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    args = parser.parse_args()
    opts = {"connection": args.redis}
    queue = Queue("py", opts)
    release = asyncio.Event()
    finished = {"n": 0}

    async def process(job, token):
        if job.name == "bad":
            raise Exception(f"python failure {job.id}")
        if job.name == "hold":
            await release.wait()
        return "ok"

    worker = Worker("py", process, {**opts, "concurrency": 1, "name": "py-1"})
    worker.on("completed", lambda *_: finished.__setitem__("n", finished["n"] + 1))
    worker.on("failed", lambda job, *_: finished.__setitem__("n", finished["n"] + (1 if job.attemptsMade >= 2 else 0)))
    for i in range(3):
        await queue.add("ok", {"i": i})
    for i in range(2):
        await queue.add("bad", {"i": i}, {"attempts": 2})

    async def five_done():
        return finished["n"] >= 5

    await wait_for(five_done)
    await queue.add("hold", {})

    async def holding():
        return (await queue.getJobCounts("active"))["active"] == 1

    await wait_for(holding)
    for i in range(4):
        await queue.add("wait", {"i": i})
    counts = await queue.getJobCounts(*STATES)
    print("READY " + json.dumps({"py": counts, "worker": "py-1"}), flush=True)

    loop = asyncio.get_running_loop()
    stopped = loop.create_future()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        loop.call_soon_threadsafe(lambda: stopped.done() or stopped.set_result(None))

    loop.run_in_executor(None, watch_stdin)
    await stopped
    release.set()
    await worker.close()
    await queue.close()


if __name__ == "__main__":
    asyncio.run(main())
