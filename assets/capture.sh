#!/usr/bin/env bash
# Screenshots of the real dashboard: a private redis-server, real BullMQ producers and
# workers (tests/node), qtop in a detached tmux, `capture-pane -e` to .ansi, then SVG
# (assets/ansi2svg.py) and PNG (rsvg-convert from librsvg2-bin, or ImageMagick).
#
#   assets/capture.sh            # ~2 minutes: the charts need data
#   WARMUP=30 assets/capture.sh  # quicker, emptier charts
#
# Needs: cargo, redis-server, node + `npm ci --prefix tests/node`, tmux, python3;
# for PNGs `apt-get install librsvg2-bin fonts-dejavu-core`.
# Never touches a shared Redis: everything runs on a unix socket in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

WARMUP="${WARMUP:-100}"
work="$(mktemp -d)"
sock="$work/redis.sock"
url="unix://$sock"
tmux_socket="qtop-shots-$$"
pids=()

cleanup() {
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$work/redis.pid" ]; then kill "$(cat "$work/redis.pid")" 2>/dev/null || true; fi
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet
bin="$PWD/target/debug/qtop"

redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
  --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

# A fixed scenario (every job state, a paused queue, a queue nobody consumes); it holds
# until its stdin closes, so feed it a pipe that stays open.
(sleep 100000 | node tests/node/scenario.js --redis "$url" >"$work/scenario.log" 2>&1) &
pids+=($!)

load() {
  node tests/node/load.js --redis "$url" --duration 900 "$@" >>"$work/load.log" 2>&1 &
  pids+=($!)
}
load --queue orders --rate 60 --work-ms 40 --concurrency 4 --fail-rate 0.03
load --queue thumbnails --rate 30 --work-ms 150 --concurrency 3   # slower than arrivals
load --queue invoices --rate 8 --work-ms 80 --concurrency 2 --fail-rate 0.25
load --queue webhooks --rate 20 --work-ms 10 --concurrency 2
load --queue exports --rate 2 --work-ms 900 --concurrency 1

tmux -L "$tmux_socket" -f /dev/null new-session -d -x 200 -y 50 \
  "env -u REDIS_URL TERM=xterm-256color '$bin' --redis '$url' --interval 1s"
sleep "$WARMUP"

shot() { # name cols rows title
  tmux -L "$tmux_socket" capture-pane -e -p -t 0 >"assets/$1.ansi"
  python3 assets/ansi2svg.py "assets/$1.ansi" "assets/$1.svg" --cols "$2" --rows "$3" --title "$4"
  if command -v rsvg-convert >/dev/null 2>&1; then
    rsvg-convert -o "assets/$1.png" "assets/$1.svg"
  elif command -v convert >/dev/null 2>&1; then
    convert -density 96 "assets/$1.svg" "assets/$1.png" 2>/dev/null || echo "(no PNG for $1: ImageMagick cannot render the SVG here)"
  fi
  echo "assets/$1.{ansi,svg} written"
}
# One key at a time: Esc followed at once by another key reads as Alt+key.
keys() {
  for key in "$@"; do tmux -L "$tmux_socket" send-keys -t 0 "$key"; sleep 0.4; done
  sleep 1.5
}

shot dashboard-200x50 200 50 "qtop — 200×50"
keys s s s s s s s s # WAIT → IN/s: the busiest queues first
shot dashboard-busiest-200x50 200 50 "qtop — sorted by arrivals/s"
keys g Enter
shot queue-200x50 200 50 "qtop — one queue focused (Enter)"
keys Escape '?'  # sent apart by keys(): together they would read as Alt+?
shot help-200x50 200 50 "qtop — help (?), built from the keymap"
keys Escape
tmux -L "$tmux_socket" resize-window -t 0 -x 80 -y 24
sleep 2
shot dashboard-80x24 80 24 "qtop — 80×24"
keys q
