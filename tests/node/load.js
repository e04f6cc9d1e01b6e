'use strict';
// Steady load on one BullMQ queue: a producer that adds round(rate*duration)
// jobs evenly paced over `duration` seconds (one add per tick, never a bulk
// burst) and, in the same process, a Worker that processes them.
//
//   node load.js --redis URL --queue Q --rate R --duration S
//                [--work-ms M] [--fail-rate P] [--concurrency C]
//                [--worker-name N] [--remove-on-complete] [--no-worker]
//                [--prefix bull] [--seed K] [--max-len-events N] [--cluster]
//
// --cluster: the URL is a Redis Cluster node; use a hash-tagged prefix ('{a}')
// or queue name ('{emails}') so the queue's keys share a slot.
//
// stdout protocol (one line each):
//   STARTED        once the first job has been added (the queue's keys exist and, unless
//                  --no-worker, its worker is running): the load is on
//   ADDED <n>      when the last job has been added
//   DONE <json>    {added, completed, failed, elapsed_s, counts} once
//                  completed + failed == added (right after ADDED with --no-worker)
// then exit 0.

const { Queue, Worker } = require('bullmq');
const { parseArgs, connection, STATES, sleep, waitFor, emit, runMain } = require('./lib');

function numberArg(args, key, { min = 0, max = Infinity } = {}) {
  const v = Number(args[key]);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new Error(`--${key} must be a number in [${min}, ${max}], got ${args[key]}`);
  }
  return v;
}

function parseConfig(argv) {
  const args = parseArgs(argv, {
    prefix: 'bull',
    'work-ms': '0',
    'fail-rate': '0',
    concurrency: '1',
  });
  if (!args.queue || args.queue === true) throw new Error('--queue Q is required');
  const rate = numberArg(args, 'rate');
  const duration = numberArg(args, 'duration');
  return {
    // A function: on a cluster the queue and the worker each get their own client.
    connection: () => connection(args),
    prefix: args.prefix,
    queue: args.queue,
    total: Math.round(rate * duration),
    durationMs: duration * 1000,
    workMs: numberArg(args, 'work-ms'),
    failRate: numberArg(args, 'fail-rate', { max: 1 }),
    concurrency: numberArg(args, 'concurrency', { min: 1 }),
    workerName: args['worker-name'] && args['worker-name'] !== true ? args['worker-name'] : `w-${args.queue}`,
    removeOnComplete: args['remove-on-complete'] === true,
    withWorker: args['no-worker'] !== true,
    seed: args.seed !== undefined ? numberArg(args, 'seed') : undefined,
    maxLenEvents: args['max-len-events'] !== undefined ? numberArg(args, 'max-len-events', { min: 1 }) : undefined,
  };
}

/** mulberry32: a tiny seeded PRNG so `--seed` makes the failure pattern repeatable. */
function makeRandom(seed) {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function startWorker(cfg, tally) {
  const random = makeRandom(cfg.seed);
  const worker = new Worker(
    cfg.queue,
    async (job) => {
      if (cfg.workMs > 0) await sleep(cfg.workMs);
      if (random() < cfg.failRate) throw new Error('boom ' + job.id);
      return { ok: job.data.i };
    },
    {
      connection: cfg.connection(),
      prefix: cfg.prefix,
      name: cfg.workerName,
      concurrency: cfg.concurrency,
    },
  );
  worker.on('completed', () => tally.completed++);
  worker.on('failed', () => tally.failed++);
  worker.on('error', (err) => console.error(`[worker] ${err && err.message}`));
  return worker;
}

/**
 * Adds job i at start + i*interval. Scheduling against the start time (not
 * "sleep interval after each add") keeps the overall rate exact even when an
 * add is slow; a late tick is simply not delayed further.
 */
async function produce(queue, cfg) {
  const interval = cfg.total > 0 ? cfg.durationMs / cfg.total : 0;
  const start = Date.now();
  const jobOpts = { attempts: 1, removeOnComplete: cfg.removeOnComplete };
  for (let i = 0; i < cfg.total; i++) {
    const wait = start + i * interval - Date.now();
    if (wait > 0) await sleep(wait);
    await queue.add('load', { i }, jobOpts);
    if (i === 0) await emit('STARTED');
  }
  if (cfg.total === 0) await emit('STARTED');
  return cfg.total;
}

async function main() {
  const cfg = parseConfig(process.argv.slice(2));
  const started = Date.now();
  const queueOpts = { connection: cfg.connection(), prefix: cfg.prefix };
  // A short events stream makes BullMQ trim it fast: used to test qtop's trim fallback.
  if (cfg.maxLenEvents) queueOpts.streams = { events: { maxLen: cfg.maxLenEvents } };
  const queue = new Queue(cfg.queue, queueOpts);
  await queue.waitUntilReady();
  queue.on('error', (err) => console.error(`[queue] ${err && err.message}`));
  const tally = { completed: 0, failed: 0 };
  const worker = cfg.withWorker ? startWorker(cfg, tally) : null;

  const added = await produce(queue, cfg);
  await emit(`ADDED ${added}`);

  if (worker) {
    // No overall timeout: the test that runs us owns the deadline.
    await waitFor('all jobs finished', async () => tally.completed + tally.failed >= added, Infinity, 20);
    await worker.close();
  }
  const done = {
    added,
    completed: tally.completed,
    failed: tally.failed,
    elapsed_s: (Date.now() - started) / 1000,
    counts: await queue.getJobCounts(...STATES),
  };
  await emit('DONE ' + JSON.stringify(done));
  await queue.close();
}

runMain(main);
