'use strict';
// A Node BullMQ worker for the qtop demo: same job contract as `qtop worker`.
//
//   node demo/node/worker.js [--redis URL] [--queue demo] [--prefix bull] [--concurrency 4]
//                            [--work-ms 50] [--fail-rate 0] [--name node-<pid>]
//
// Job data: {idempotency_key, work_ms?, work_dist? ("fixed"|"exp"), fail_rate?, poison?}.
// The side effect commits halfway through the work (the idempotency key is SET then), so a
// job redelivered after a crash is skipped and counted in `<prefix>:<queue>:qtop:stats`.
// Prints `READY <name>`, stops gracefully on a `stop` line, stdin EOF, SIGTERM or Ctrl-C,
// then prints `STOPPED {"done":…,"failed":…,"duplicates":…}`.

const { requireModule, parseArgs, redisOptions, keys, sleep, stopRequested } = require('./common');
const { Worker } = requireModule('bullmq');
const IORedis = requireModule('ioredis');

const DONE_TTL_S = 3600;

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    queue: 'demo',
    prefix: 'bull',
    concurrency: '4',
    'work-ms': '50',
    'fail-rate': '0',
    name: `node-${process.pid}`,
  });
  const k = keys(args.prefix, args.queue);
  const tally = { done: 0, failed: 0, duplicates: 0 };
  // Our own connection for the idempotency keys (bullmq 6 no longer exposes its client).
  const redis = new IORedis(redisOptions(args.redis));
  const processor = async (job) => {
    const data = job.data || {};
    if (data.idempotency_key && (await redis.exists(k.done(data.idempotency_key)))) {
      await redis.hincrby(k.stats, 'duplicates_suppressed', 1);
      tally.duplicates++;
      return { worker: args.name, duplicate: true };
    }
    const mean = Number.isFinite(data.work_ms) ? data.work_ms : Number(args['work-ms']);
    const exp = (data.work_dist || 'exp') === 'exp';
    const ms = exp ? Math.min(-mean * Math.log(1 - Math.random()), 20 * mean) : mean;
    const failRate = Number.isFinite(data.fail_rate) ? data.fail_rate : Number(args['fail-rate']);
    await sleep(ms / 2);
    if (data.poison === true) throw new Error('poison job: this job always fails');
    if (Math.random() < failRate) throw new Error(`simulated failure (fail rate ${failRate})`);
    if (data.idempotency_key) await redis.set(k.done(data.idempotency_key), args.name, 'EX', DONE_TTL_S);
    await sleep(ms / 2);
    return { worker: args.name, duplicate: false };
  };
  const worker = new Worker(args.queue, processor, {
    connection: redisOptions(args.redis),
    prefix: args.prefix,
    name: args.name,
    concurrency: Number(args.concurrency),
  });
  worker.on('completed', () => tally.done++);
  worker.on('failed', () => tally.failed++);
  worker.on('error', (err) => console.error(`[worker] ${err && err.message}`));
  await worker.waitUntilReady();
  process.stdout.write(`READY ${args.name}\n`);
  const reason = await stopRequested();
  console.error(`node worker ${args.name}: stopping (${reason})`);
  await worker.close();
  redis.disconnect();
  process.stdout.write(`STOPPED ${JSON.stringify(tally)}\n`, () => process.exit(0));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
