'use strict';
// A Node BullMQ producer for the qtop demo: same job contract as `qtop produce`.
//
//   node demo/node/producer.js [--redis URL] [--queue demo] [--prefix bull]
//                              (--count N | --rate R [--duration S])
//                              [--work-ms MS] [--fail-rate P] [--poison] [--attempts 3] [--backoff-ms 200]
//
// Prints `added <n> jobs`.

const crypto = require('crypto');
const { requireModule, parseArgs, redisOptions, sleep } = require('./common');
const { Queue } = requireModule('bullmq');

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    queue: 'demo',
    prefix: 'bull',
    attempts: '3',
    'backoff-ms': '200',
  });
  const queue = new Queue(args.queue, { connection: redisOptions(args.redis), prefix: args.prefix });
  const runId = `node-${crypto.randomBytes(6).toString('hex')}`;
  let seq = 0;
  const backoffMs = Number(args['backoff-ms']);
  const opts = { attempts: Number(args.attempts) };
  if (backoffMs > 0) opts.backoff = { type: 'exponential', delay: backoffMs };
  const job = () => {
    const data = { idempotency_key: `${runId}-${++seq}` };
    if (args['work-ms'] !== undefined) data.work_ms = Number(args['work-ms']);
    if (args['fail-rate'] !== undefined) data.fail_rate = Number(args['fail-rate']);
    if (args.poison === true) data.poison = true;
    return { name: 'demo', data, opts };
  };
  let added = 0;
  if (args.count !== undefined) {
    for (let left = Number(args.count); left > 0; left -= 1000) {
      const batch = Array.from({ length: Math.min(left, 1000) }, job);
      await queue.addBulk(batch);
      added += batch.length;
    }
  } else {
    const rate = Number(args.rate);
    if (!(rate > 0)) throw new Error('give --count N or --rate R');
    const total = args.duration !== undefined ? Math.round(rate * Number(args.duration)) : Infinity;
    let stopping = false;
    process.on('SIGINT', () => (stopping = true));
    process.on('SIGTERM', () => (stopping = true));
    const start = Date.now();
    // Job i is due at start + i/rate: scheduled against the start, so it never drifts.
    while (added < total && !stopping) {
      const wait = start + (added * 1000) / rate - Date.now();
      if (wait > 0) await sleep(wait);
      const { name, data, opts: o } = job();
      await queue.add(name, data, o);
      added++;
    }
  }
  console.log(`added ${added} jobs`);
  await queue.close();
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
