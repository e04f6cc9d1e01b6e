#!/usr/bin/env bash
# A screenshot of one Redis holding all four queue systems, each with its real library and
# real workers: BullMQ (tests/node/load.js), Sidekiq (Debian's sidekiq, tests/ruby),
# RQ (rq worker, tests/rq) and Celery (celery worker -E, tests/celery); qtop in a detached
# tmux, `capture-pane -e` to assets/mixed-200x50.ansi, then SVG and PNG as capture.sh does.
#
#   assets/capture-mixed.sh            # ~1.5 minutes
#
# Needs what capture.sh needs, plus `sidekiq` (apt-get install ruby-sidekiq) and the test
# virtualenvs tests/rq/.venv and tests/celery/.venv (made by `cargo test` on first use, or
# here from their pinned requirements). Never touches a shared Redis: a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

WARMUP="${WARMUP:-60}"
work="$(mktemp -d)"
tmux_socket="qtop-mixed-$$"
pids=()

cleanup() {
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  if [ -f "$work/redis.pid" ]; then kill "$(cat "$work/redis.pid")" 2>/dev/null || true; fi
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

venv() { # dir
  if [ ! -x "$1/.venv/bin/python" ]; then
    python3 -m venv "$1/.venv"
    "$1/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$1/requirements.txt"
  fi
}
venv tests/rq
venv tests/celery

cargo build --quiet
bin="$PWD/target/debug/qtop"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="redis://127.0.0.1:$port"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# Producers run until their stdin closes: a FIFO this script holds open.
mkfifo "$work/hold"
exec 3<>"$work/hold"
bg() { # log command…: in a process group of its own (killed whole at the end)
  setsid "${@:2}" <"$work/hold" >>"$work/$1" 2>&1 &
  pids+=($!)
}

# BullMQ (Node): one queue keeping up, one falling behind.
bg bullmq.log node tests/node/load.js --redis "$url" --duration 900 --queue orders --rate 30 --work-ms 40 --concurrency 4 --fail-rate 0.03
bg bullmq.log node tests/node/load.js --redis "$url" --duration 900 --queue thumbnails --rate 12 --work-ms 300 --concurrency 3
# Sidekiq (Ruby): two queues, one process of 3 threads.
bg sidekiq.log env REDIS_URL="$url" sidekiq -r ./tests/ruby/app.rb -c 3 -t 1 -q busy-1 -q busy-2
bg sidekiq.log env REDIS_URL="$url" ruby tests/ruby/load.rb 2 8 900
# RQ (Python): two queues, two workers.
bg rq.log env -C tests/rq .venv/bin/python load.py --redis "$url" produce 4 reports emails
bg rq.log env -C tests/rq .venv/bin/rq worker reports emails -u "$url" -n rq-1
bg rq.log env -C tests/rq .venv/bin/rq worker reports emails -u "$url" -n rq-2
# Celery (Python): the default queue, one worker sending task events.
bg celery.log env -C tests/celery CELERY_BROKER="$url/0" .venv/bin/celery -A tasks worker -n celery-1@demo -Q celery -c 2 -E --without-mingle --without-gossip --loglevel=WARNING
bg celery.log env -C tests/celery CELERY_BROKER="$url/0" .venv/bin/python -c '
import time
from tasks import nap, boom
i = 0
while True:
    nap.delay(0.2)
    if i % 20 == 0:
        boom.delay(f"card declined for order {i}")
    i += 1
    time.sleep(0.2)
'

tmux -L "$tmux_socket" -f /dev/null new-session -d -x 200 -y 50 \
  "env -u REDIS_URL TERM=xterm-256color '$bin' --redis '$url' --interval 1s"
sleep "$WARMUP"

tmux -L "$tmux_socket" capture-pane -e -p -t 0 >assets/mixed-200x50.ansi
python3 assets/ansi2svg.py assets/mixed-200x50.ansi assets/mixed-200x50.svg --cols 200 --rows 50 \
  --title "qtop — BullMQ, Sidekiq, RQ and Celery on one Redis"
if command -v rsvg-convert >/dev/null 2>&1; then
  rsvg-convert -o assets/mixed-200x50.png assets/mixed-200x50.svg
elif command -v convert >/dev/null 2>&1; then
  convert -density 96 assets/mixed-200x50.svg assets/mixed-200x50.png 2>/dev/null || echo "(no PNG: ImageMagick cannot render the SVG here)"
fi
echo "assets/mixed-200x50.{ansi,svg,png} written"
tmux -L "$tmux_socket" send-keys -t 0 q
