#!/bin/bash
# Throughput of `qtop worker` processes on a private redis-server (unix socket, no persistence).
# usage: demo/bench-workers.sh WORKERS CONCURRENCY JOBS   (after cargo build --release)
# Adds JOBS no-op jobs, starts the workers, times the drain; prints jobs/s and each worker RSS.
set -e
Q=${QTOP:-target/release/qtop}
D=$(mktemp -d /tmp/qbench.XXXX)
redis-server --port 0 --unixsocket $D/r.sock --save '' --appendonly no --dir $D > $D/log 2>&1 &
RP=$!
sleep 0.3
U=unix://$D/r.sock; R="redis-cli -s $D/r.sock"
$Q --redis $U --queue b produce --count $3 --work-ms 0 > /dev/null
start=$(date +%s.%N); wpids=""
for i in $(seq 1 $1); do
  $Q --redis $U --queue b worker --concurrency $2 --work-ms 0 --ignore-stdin > $D/w$i.out 2>&1 &
  wpids="$wpids $!"
done
while [ "$($R zcard bull:b:completed)" -lt "$3" ]; do sleep 0.1; done
end=$(date +%s.%N)
rss=$(for p in $wpids; do grep VmRSS /proc/$p/status | awk '{print $2}'; done | tr '\n' ' ')
echo "workers=$1 concurrency=$2 jobs=$3 seconds=$(echo "$end - $start" | bc) jobs_per_s=$(echo "$3 / ($end - $start)" | bc) worker_rss_kb=[$rss]"
kill -TERM $wpids; wait $wpids 2>/dev/null || true
$R shutdown nosave > /dev/null 2>&1 || true; wait $RP 2>/dev/null || true
rm -rf $D
