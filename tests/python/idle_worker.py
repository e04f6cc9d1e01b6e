"""One unnamed Python `bullmq` Worker, the style the guide teaches, for worker-count tests.

    python idle_worker.py --redis URL --queue Q

Prints `READY` once its blocking connection is open, then runs until stdin closes.
"""

import argparse
import asyncio
import sys

from bullmq import Worker


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--queue", required=True)
    args = parser.parse_args()

    async def process(job, token):
        return "ok"

    worker = Worker(args.queue, process, {"connection": args.redis})
    # The worker opens its connections when it starts fetching.
    await asyncio.sleep(0.5)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await worker.close()


asyncio.run(main())
