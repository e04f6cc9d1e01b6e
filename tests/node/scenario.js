'use strict';
// Builds a fixed set of BullMQ queues, with the real bullmq package, so that
// every job state exists at once; prints `READY <json>` and then holds one job
// active until told to stop (a `stop` line on stdin, or stdin closing).
//
//   node scenario.js --redis URL [--prefix bull] [--cluster]
//
// With --cluster (URL = a cluster node), pass a hash-tagged prefix such as
// '{bull}': every queue then lives in one slot, which the flow (a parent in
// `emails`, its child in `emails-children`) needs anyway.
//
// READY json: { "<queue>": {<getJobCounts>, "isPaused": bool}, ...,
//               "worker_names": [...], "pid": n, "prefix": "bull" }

const { Queue, Worker, FlowProducer } = require('bullmq');
const { parseArgs, connection, STATES, waitFor, waitForStop, emit, runMain } = require('./lib');

const HOUR_MS = 60 * 60 * 1000;

function logErrors(name, emitter) {
  // A Worker/Queue without an 'error' listener would crash the process on a
  // transient connection error; log instead so the test sees it on stderr.
  emitter.on('error', (err) => console.error(`[${name}] ${err && err.message}`));
  return emitter;
}

/** Returns the counts for `queue`'s states plus whether it is paused. */
async function countsOf(queue) {
  const counts = await queue.getJobCounts(...STATES);
  counts.isPaused = await queue.isPaused();
  return counts;
}

/** `emails`: waiting, delayed, prioritized and a flow parent in waiting-children. No worker. */
async function buildEmails(ctx) {
  const q = ctx.queue('emails');
  for (let i = 1; i <= 5; i++) await q.add('welcome', { to: `user${i}@example.com` });
  for (let i = 1; i <= 3; i++) await q.add('reminder', { n: i }, { delay: HOUR_MS });
  for (let p = 1; p <= 4; p++) await q.add('vip', { priority: p }, { priority: p });
  // The child lives in another queue that has no worker, so the parent stays
  // in waiting-children for as long as the scenario runs.
  ctx.queue('emails-children');
  const flow = ctx.track(logErrors('flow', new FlowProducer(ctx.base)));
  await flow.add({
    name: 'digest',
    queueName: 'emails',
    data: { kind: 'weekly' },
    children: [{ name: 'render', queueName: 'emails-children', data: { part: 1 } }],
  });
}

/** `reports`: 6 completed, and a 7th held active by a live named worker. */
async function buildReports(ctx) {
  const q = ctx.queue('reports');
  let releaseHeld;
  const held = new Promise((resolve) => (releaseHeld = resolve));
  ctx.onStop(() => releaseHeld());
  ctx.workerNames.push('w-reports');
  ctx.track(
    logErrors(
      'w-reports',
      new Worker(
        'reports',
        async (job) => {
          if (job.data.hold) await held;
          return { rows: job.data.n * 10 };
        },
        // Long lock so the held job never looks stalled while tests run.
        { ...ctx.base, name: 'w-reports', concurrency: 1, lockDuration: 60000 },
      ),
    ),
  );
  for (let n = 1; n <= 6; n++) await q.add('daily', { n });
  // Only add the held job after the 6 have completed, so the order of pickup
  // cannot leave one of the 6 stuck behind it.
  await waitFor('reports: 6 completed', async () => (await q.getCompletedCount()) === 6);
  const job = await q.add('daily', { n: 7, hold: true });
  await waitFor('reports: job 7 active', async () => (await job.getState()) === 'active');
}

/** `billing`: 4 jobs failed after 3 attempts each, 2 completed; worker closed. */
async function buildBilling(ctx) {
  const q = ctx.queue('billing');
  const worker = logErrors(
    'w-billing',
    new Worker(
      'billing',
      async (job) => {
        if (job.data.decline) throw new Error('card declined for order 1234');
        return { charged: job.data.amount };
      },
      { ...ctx.base, name: 'w-billing', concurrency: 2 },
    ),
  );
  const retry = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };
  for (let i = 1; i <= 4; i++) await q.add('charge', { amount: i * 100, decline: true }, retry);
  for (let i = 5; i <= 6; i++) await q.add('charge', { amount: i * 100 }, retry);
  await waitFor('billing: failed 4, completed 2', async () => {
    const c = await q.getJobCounts('failed', 'completed');
    return c.failed === 4 && c.completed === 2;
  });
  await worker.close();
}

/** `paused-q`: 3 waiting jobs in a paused queue. */
async function buildPaused(ctx) {
  const q = ctx.queue('paused-q');
  for (let i = 1; i <= 3; i++) await q.add('sync', { i });
  await q.pause();
}

/** `ephemeral`: 12 jobs that leave no trace but events (removeOnComplete/Fail). */
async function buildEphemeral(ctx) {
  const q = ctx.queue('ephemeral');
  let finished = 0;
  const worker = logErrors(
    'w-ephemeral',
    new Worker(
      'ephemeral',
      async (job) => {
        if (job.data.fail) throw new Error(`ephemeral failure ${job.id}`);
        return 'ok';
      },
      { ...ctx.base, name: 'w-ephemeral', concurrency: 4 },
    ),
  );
  worker.on('completed', () => finished++);
  worker.on('failed', () => finished++);
  for (let i = 1; i <= 10; i++) await q.add('ping', { i }, { removeOnComplete: true });
  for (let i = 1; i <= 2; i++) {
    await q.add('ping', { i, fail: true }, { removeOnFail: true, attempts: 1 });
  }
  await waitFor('ephemeral: 12 finished', async () => finished === 12);
  await worker.close();
}

/** Holds every Queue/Worker/FlowProducer so they can all be closed on exit. */
function makeContext(args) {
  const ctx = {
    // A getter: on a cluster each Queue/Worker gets its own Cluster client.
    get base() {
      return { connection: connection(args), prefix: args.prefix };
    },
    queues: new Map(),
    closables: [],
    stopHooks: [],
    workerNames: [],
    track(c) {
      this.closables.push(c);
      return c;
    },
    queue(name) {
      if (!this.queues.has(name)) {
        this.queues.set(name, this.track(logErrors(name, new Queue(name, this.base))));
      }
      return this.queues.get(name);
    },
    onStop(fn) {
      this.stopHooks.push(fn);
    },
  };
  return ctx;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const ctx = makeContext(args);

  await buildEmails(ctx);
  await buildBilling(ctx);
  await buildPaused(ctx);
  await buildEphemeral(ctx);
  // Last, so the held active job is the freshest thing when READY is printed.
  await buildReports(ctx);

  const ready = {};
  for (const [name, q] of ctx.queues) ready[name] = await countsOf(q);
  ready.worker_names = ctx.workerNames;
  ready.pid = process.pid;
  ready.prefix = args.prefix;
  await emit('READY ' + JSON.stringify(ready));

  await waitForStop();
  ctx.stopHooks.forEach((fn) => fn());
  // Workers first (they finish the released job), then queues and producers.
  for (const c of ctx.closables.reverse()) await c.close();
}

runMain(main);
