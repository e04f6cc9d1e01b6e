'use strict';
// Many jobs to search, made by the real bullmq package: `many` holds 1,200 waiting jobs
// (every third named `invoice`, every seventh with `needle-<i>` in its data), `fails` 600
// failed jobs (every fifth failed with `timeout talking to bank <i>`). Prints `READY <json>`
// with the walk order and the matches as BullMQ's own getters give them, and exits.
//
//   node search_jobs.js --redis URL [--prefix bull]
//
// READY json: { waiting: [{id, name, tag}], failed: [{id, failedReason}] }, each in the
// order qtop walks the state (the next to run first; the newest failure first).

const { Queue, Worker } = require('bullmq');
const { parseArgs, connection, waitFor, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const base = () => ({ connection: connection(args), prefix: args.prefix });
  const many = new Queue('many', base());
  const jobs = [];
  for (let i = 1; i <= 1200; i++) {
    jobs.push({
      name: i % 3 === 0 ? 'invoice' : 'mail',
      data: { i, tag: i % 7 === 0 ? `needle-${i}` : 'hay' },
    });
  }
  for (let at = 0; at < jobs.length; at += 300) await many.addBulk(jobs.slice(at, at + 300));

  const fails = new Queue('fails', base());
  const worker = new Worker(
    'fails',
    async (job) => {
      const i = job.data.i;
      throw new Error(i % 5 === 0 ? `timeout talking to bank ${i}` : `card declined ${i}`);
    },
    { ...base(), concurrency: 50 },
  );
  worker.on('error', (err) => console.error(err && err.message));
  const failing = [];
  for (let i = 1; i <= 600; i++) failing.push({ name: 'charge', data: { i }, opts: { attempts: 1 } });
  await fails.addBulk(failing);
  await waitFor('fails: 600 failed', async () => (await fails.getFailedCount()) === 600, 60000);
  await worker.close();

  const waiting = (await many.getJobs(['wait'], 0, -1, true)).map((j) => ({
    id: j.id,
    name: j.name,
    tag: j.data.tag,
  }));
  const failed = (await fails.getJobs(['failed'], 0, -1, false)).map((j) => ({
    id: j.id,
    failedReason: j.failedReason,
  }));
  await emit('READY ' + JSON.stringify({ waiting, failed }));
  await many.close();
  await fails.close();
}

runMain(main);
