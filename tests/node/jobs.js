'use strict';
// Jobs in every state, flows, job schedulers and a 5 MB payload, made by the real bullmq
// package, for `qtop job show|search` and `qtop schedulers`. Prints `READY <json>` with the
// truth from BullMQ's own API, then holds one job active until told to stop (a `stop` line
// on stdin, or stdin closing).
//
//   node jobs.js --redis URL [--prefix bull]
//
// READY json:
//   jobs:   { <id>: { queue, name, state: job.getState(), timestamp, delay, processedOn,
//             finishedOn, attemptsMade, attemptsStarted, stacktrace, failedReason,
//             returnvalue, data, logs: {count, logs} } } for every job made here
//   waitOrder: ids of `jobs`'s waiting jobs, the next to run first (getJobs asc)
//   prioritizedOrder, delayedOrder: likewise
//   flows:  { <parent key>: { deps: getDependencies(), counts: getDependenciesCount(),
//             children: { <child key>: child.getState() } } }
//   schedulers: { <queue>: getJobSchedulers() }
//   big: id of the 5 MB job

const { Queue, Worker, FlowProducer, Job } = require('bullmq');
const { parseArgs, connection, waitFor, waitForStop, emit, runMain } = require('./lib');

const HOUR_MS = 60 * 60 * 1000;

function logErrors(name, emitter) {
  emitter.on('error', (err) => console.error(`[${name}] ${err && err.message}`));
  return emitter;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const base = () => ({ connection: connection(args), prefix: args.prefix });
  const closables = [];
  const track = (c) => {
    closables.push(logErrors('fixture', c));
    return c;
  };
  const queues = {};
  const queue = (name) => (queues[name] = queues[name] || track(new Queue(name, base())));
  const made = []; // [queueName, id]

  // `jobs`: finished jobs first (a worker that logs, reports progress, fails some).
  const q = queue('jobs');
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const worker = track(
    new Worker(
      'jobs',
      async (job) => {
        if (job.name === 'hold') return held;
        await job.log(`start ${job.data.n}`);
        await job.log(`step two of ${job.data.n}`);
        await job.updateProgress({ pct: 50 });
        if (job.name === 'bad') throw new Error(`card declined for order ${job.data.n}`);
        return { sum: job.data.n * 2 };
      },
      { ...base(), name: 'w-jobs', concurrency: 1, lockDuration: 60000 },
    ),
  );
  for (let n = 1; n <= 3; n++) made.push(['jobs', (await q.add('ok', { n, user: `user${n}@example.com` })).id]);
  for (let n = 1; n <= 2; n++) {
    const job = await q.add('bad', { n, user: `vip${n}@example.com` }, { attempts: 3, backoff: 0 });
    made.push(['jobs', job.id]);
  }
  await waitFor('jobs: 3 completed, 2 failed', async () => {
    const c = await q.getJobCounts('completed', 'failed');
    return c.completed === 3 && c.failed === 2;
  });
  // One job held active by the worker (concurrency 1: nothing else runs after it).
  const hold = await q.add('hold', { n: 0 });
  made.push(['jobs', hold.id]);
  await waitFor('jobs: hold active', async () => (await hold.getState()) === 'active');
  for (let n = 1; n <= 5; n++) made.push(['jobs', (await q.add('w', { n })).id]);
  made.push(['jobs', (await q.add('lifo', { n: 6 }, { lifo: true })).id]);
  made.push(['jobs', (await q.add('named', { n: 7 }, { jobId: 'custom-id-1' })).id]);
  for (const p of [3, 1, 2]) made.push(['jobs', (await q.add('p', { p }, { priority: p })).id]);
  for (const d of [2, 1]) made.push(['jobs', (await q.add('d', { d }, { delay: d * HOUR_MS })).id]);
  const big = await q.add('big', { blob: 'x'.repeat(5 * 1024 * 1024) });
  made.push(['jobs', big.id]);

  // A flow that waits: root (flows) ← done, ignored-failure, pending (flow-pending) ← grandkid.
  const flow = track(new FlowProducer(base()));
  const kids = track(
    new Worker(
      'flow-kids',
      async (job) => {
        if (job.name.startsWith('kid-fail')) throw new Error(`kid ${job.name} broke`);
        return { kid: job.name, ok: true };
      },
      { ...base(), name: 'w-kids', concurrency: 2 },
    ),
  );
  const tree = await flow.add({
    name: 'root',
    queueName: 'flows',
    data: { report: 'weekly' },
    children: [
      { name: 'kid-done', queueName: 'flow-kids', data: { part: 1 } },
      { name: 'kid-done', queueName: 'flow-kids', data: { part: 2 } },
      {
        name: 'kid-fail-ignored',
        queueName: 'flow-kids',
        data: { part: 3 },
        opts: { ignoreDependencyOnFailure: true },
      },
      {
        name: 'kid-pending',
        queueName: 'flow-pending',
        data: { part: 4 },
        children: [{ name: 'grandkid', queueName: 'flow-pending', data: { part: 5 } }],
      },
    ],
  });
  // A flow whose child failed its parent: the parent leaves waiting-children with a
  // deferred failure (no worker on `flows2` runs it).
  const tree2 = await flow.add({
    name: 'root2',
    queueName: 'flows2',
    data: {},
    children: [
      { name: 'kid-fail-parent', queueName: 'flow-kids', data: {}, opts: { failParentOnFailure: true } },
    ],
  });
  const root = tree.job;
  const root2 = tree2.job;
  await waitFor('flows: kids finished', async () => {
    const c = await root.getDependenciesCount();
    const c2 = await root2.getDependenciesCount();
    return c.processed === 2 && c.ignored === 1 && c2.failed === 1;
  });
  await kids.close();
  const walk = (node, out) => {
    out.push([node.job.queueName, node.job.id]);
    (node.children || []).forEach((child) => walk(child, out));
    return out;
  };
  walk(tree, made);
  walk(tree2, made);

  // Job schedulers: every, cron with a time zone and a limit, a template.
  const sq = queue('sched');
  await sq.upsertJobScheduler('every-5s', { every: 5000 }, { name: 'tick', data: { source: 'every' } });
  await sq.upsertJobScheduler(
    'nightly',
    { pattern: '0 3 * * *', tz: 'Europe/Paris', limit: 100 },
    { name: 'report', data: { kind: 'nightly', to: ['ops@example.com'] }, opts: { attempts: 2 } },
  );
  await sq.upsertJobScheduler('bare', { every: 60000 });

  // The truth, from BullMQ's API.
  const truth = { jobs: {}, flows: {}, schedulers: {} };
  for (const [queueName, id] of made) {
    const job = await Job.fromId(queue(queueName), id);
    const logs = await queue(queueName).getJobLogs(id, 0, -1, true);
    truth.jobs[`${queueName}/${id}`] = {
      queue: queueName,
      id,
      name: job.name,
      state: await job.getState(),
      timestamp: job.timestamp,
      delay: job.delay,
      processedOn: job.processedOn ?? null,
      finishedOn: job.finishedOn ?? null,
      attemptsMade: job.attemptsMade,
      attemptsStarted: job.attemptsStarted,
      stacktrace: job.stacktrace,
      failedReason: job.failedReason ?? null,
      returnvalue: job.returnvalue ?? null,
      processedBy: job.processedBy ?? null,
      parentKey: job.parentKey ?? null,
      logs,
      dataBytes: id === big.id ? JSON.stringify(job.data).length : null,
    };
  }
  const jobsOf = async (type) => (await q.getJobs([type], 0, -1, true)).map((j) => j.id);
  truth.waitOrder = await jobsOf('wait');
  truth.prioritizedOrder = await jobsOf('prioritized');
  truth.delayedOrder = await jobsOf('delayed');
  for (const parent of [root, root2, tree.children[3].job]) {
    const key = `${args.prefix}:${parent.queueName}:${parent.id}`;
    const deps = await parent.getDependencies();
    const children = {};
    const keys = [
      ...Object.keys(deps.processed || {}),
      ...(deps.unprocessed || []),
      ...Object.keys(deps.ignored || {}),
      ...(deps.failed || []),
    ];
    for (const childKey of keys) {
      const [, queueName, id] = childKey.match(/^.*?:([^:]+):([^:]+)$/);
      const child = await Job.fromId(queue(queueName), id);
      children[childKey] = { state: await child.getState(), name: child.name };
    }
    truth.flows[key] = {
      state: await parent.getState(),
      deps,
      counts: await parent.getDependenciesCount(),
      childrenValues: await parent.getChildrenValues(),
      ignored: await parent.getIgnoredChildrenFailures(),
      children,
    };
  }
  truth.schedulers.sched = await sq.getJobSchedulers();
  truth.big = big.id;
  truth.prefix = args.prefix;
  await emit('READY ' + JSON.stringify(truth));

  await waitForStop();
  release({ released: true });
  await worker.close();
  for (const c of closables.reverse()) await c.close().catch(() => {});
}

runMain(main);
