'use strict';
// Queues written by an older BullMQ (3.x, 4.x or 5.x: older Redis layouts, e.g. the
// legacy `paused` list and v3–v4 `0:` markers in `wait`), for qtop's tolerance tests.
//
//   node legacy.js --redis URL --lib bullmq-v3|bullmq-v4|bullmq-v5 --queue NAME [--prefix bull]
//
// Leaves NAME with completed, failed (after retries), waiting, delayed and prioritized
// jobs, and NAME-paused paused with waiting jobs; prints one line
// `READY {"NAME": counts, "NAME-paused": counts, "version": "..."}` (counts from the
// library's own getJobCounts, `paused` included) and exits 0.

const { parseArgs, redisOptions, waitFor, emit, runMain } = require('./lib');

const ALL = ['waiting', 'active', 'prioritized', 'delayed', 'completed', 'failed', 'waiting-children', 'paused'];

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const { Queue, Worker } = require(args.lib);
  const version = require(`${args.lib}/package.json`).version;
  const connection = redisOptions(args.redis);
  const base = { connection, prefix: args.prefix };

  const queue = new Queue(args.queue, base);
  // Finished jobs first, with a worker that is then closed.
  for (let i = 0; i < 3; i++) await queue.add('ok', { i });
  for (let i = 0; i < 2; i++) await queue.add('bad', { i }, { attempts: 2 });
  let done = 0;
  const worker = new Worker(
    args.queue,
    async (job) => {
      if (job.name === 'bad') throw new Error(`legacy failure ${job.id}`);
      return 'ok';
    },
    base,
  );
  worker.on('completed', () => done++);
  worker.on('failed', (job) => { if (job.attemptsMade >= 2) done++; });
  await waitFor('3 completed and 2 failed', async () => done >= 5, 30000);
  await worker.close();

  // Then jobs that stay: waiting, delayed, prioritized.
  for (let i = 0; i < 4; i++) await queue.add('wait', { i });
  for (let i = 0; i < 2; i++) await queue.add('later', { i }, { delay: 3600000 });
  for (let p = 1; p <= 3; p++) await queue.add('prio', { p }, { priority: p });

  const paused = new Queue(`${args.queue}-paused`, base);
  await paused.pause();
  for (let i = 0; i < 2; i++) await paused.add('held', { i });

  const out = { version };
  for (const q of [queue, paused]) {
    out[q.name] = { ...(await q.getJobCounts(...ALL)), isPaused: await q.isPaused() };
  }
  await emit('READY ' + JSON.stringify(out));
  await queue.close();
  await paused.close();
}

runMain(main);
