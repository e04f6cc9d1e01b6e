"""RQ's own API, driven by qtop's tests.

    python rqctl.py --redis URL enqueue QUEUE FUNC [ARG…] [--count N] [--in S] [--depends-on ID]
    python rqctl.py --redis URL figures QUEUE…     # what RQ's API reports (cleans up as it reads!)
    python rqctl.py --redis URL job ID              # a job's status, origin, worker, results

Prints one JSON document on stdout. `figures` calls Queue.count, the registries' count
and Worker.all(): RQ's own reads, which write (cleanup), so tests call it after qtop's.
"""

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)


def connect(url):
    if url.startswith("unix://"):
        return Redis(unix_socket_path=url[len("unix://"):])
    return Redis.from_url(url)


def enqueue(conn, args):
    queue = Queue(args.queue, connection=conn)
    call_args = [int(a) if a.lstrip("-").isdigit() else a for a in args.args]
    ids = []
    for _ in range(args.count):
        kwargs = {}
        if args.depends_on:
            kwargs["depends_on"] = args.depends_on
        if args.result_ttl is not None:
            kwargs["result_ttl"] = args.result_ttl
        if args.at_in is not None:
            job = queue.enqueue_in(timedelta(seconds=args.at_in), args.func, *call_args, **kwargs)
        else:
            job = queue.enqueue(args.func, *call_args, **kwargs)
        ids.append(job.id)
    return {"ids": ids}


def iso_age(t):
    if t is None:
        return None
    return (datetime.now(timezone.utc) - t.replace(tzinfo=timezone.utc)).total_seconds()


def figures(conn, names):
    out = {"queues": {}, "workers": []}
    for name in names:
        q = Queue(name, connection=conn)
        head = q.get_job_ids(0, 0)
        head_age = None
        if head:
            job = Job.fetch(head[0], connection=conn)
            head_age = iso_age(job.enqueued_at)
        out["queues"][name] = {
            "waiting": q.count,
            "delayed": ScheduledJobRegistry(queue=q).count,
            "waiting_children": DeferredJobRegistry(queue=q).count,
            "failed": FailedJobRegistry(queue=q).count,
            "completed": FinishedJobRegistry(queue=q).count,
            # Last: its cleanup moves abandoned jobs into the failed registry.
            "active": StartedJobRegistry(queue=q).count,
            "head_age_s": head_age,
            "workers": len(Worker.all(queue=q)),
        }
    for w in Worker.all(connection=conn):
        out["workers"].append({
            "name": w.name,
            "queues": w.queue_names(),
            "state": w.get_state(),
            "current_job": w.get_current_job_id(),
            "successful_job_count": w.successful_job_count,
            "failed_job_count": w.failed_job_count,
            "total_working_time": w.total_working_time,
            "pid": w.pid,
            "hostname": w.hostname,
        })
    return out


def job(conn, job_id):
    j = Job.fetch(job_id, connection=conn)
    results = j.results()
    return {
        "status": j.get_status(),
        "origin": j.origin,
        "worker_name": j.worker_name,
        "results": [int(r.type.value) for r in results],
        "in_failed": job_id in FailedJobRegistry(j.origin, connection=conn),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("enqueue")
    e.add_argument("queue")
    e.add_argument("func")
    e.add_argument("args", nargs="*")
    e.add_argument("--count", type=int, default=1)
    e.add_argument("--in", dest="at_in", type=int)
    e.add_argument("--depends-on")
    e.add_argument("--result-ttl", type=int)
    f = sub.add_parser("figures")
    f.add_argument("queues", nargs="+")
    j = sub.add_parser("job")
    j.add_argument("id")
    args = parser.parse_args()
    conn = connect(args.redis)
    if args.command == "enqueue":
        out = enqueue(conn, args)
    elif args.command == "figures":
        out = figures(conn, args.queues)
    else:
        out = job(conn, args.id)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
