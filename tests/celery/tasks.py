"""Tasks for qtop's Celery tests. The broker is $CELERY_BROKER (a test redis-server), the
result backend $CELERY_BACKEND when set (else none)."""

import os
import time

from celery import Celery

app = Celery(
    "tasks",
    broker=os.environ.get("CELERY_BROKER", "redis://127.0.0.1:6399/0"),
    backend=os.environ.get("CELERY_BACKEND") or None,
)
app.conf.update(
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    task_default_queue="celery",
    result_extended=True,
    # Lowered by a test to show what a kombu client does to running late-ack tasks.
    broker_transport_options={
        "visibility_timeout": float(os.environ.get("CELERY_VISIBILITY", "3600"))
    },
)


@app.task
def nap(seconds=0.0):
    time.sleep(seconds)
    return seconds


@app.task
def boom(message="boom"):
    raise ValueError(message)


@app.task(acks_late=True)
def late_nap(seconds=0.0):
    time.sleep(seconds)
    return seconds
