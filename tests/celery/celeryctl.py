"""Celery's own API for qtop's tests: send tasks, and the figures `celery inspect` reports.
Prints one JSON document.

  celeryctl.py send QUEUE TASK COUNT [--arg X] [--priority P]
  celeryctl.py ping | stats | active
"""

import json
import sys

from tasks import app


def main(argv):
    command = argv[0]
    if command == "send":
        queue, task, count = argv[1], argv[2], int(argv[3])
        options = dict(zip(argv[4::2], argv[5::2]))
        args = [float(options["--arg"])] if "--arg" in options and task != "tasks.boom" else []
        if task == "tasks.boom" and "--arg" in options:
            args = [options["--arg"]]
        priority = int(options["--priority"]) if "--priority" in options else None
        ids = []
        for _ in range(count):
            result = app.send_task(task, args=args, queue=queue, priority=priority)
            ids.append(result.id)
        print(json.dumps(ids))
        return
    inspect = app.control.inspect(timeout=2.0)
    if command == "ping":
        print(json.dumps(inspect.ping() or {}))
    elif command == "stats":
        print(json.dumps(inspect.stats() or {}, default=str))
    elif command == "active":
        print(json.dumps(inspect.active() or {}, default=str))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
