'use strict';
// A real BullMQ Worker that completes every job of a queue until `--expect N` jobs have
// completed since it started, then prints `DONE <json>` (ids it completed and
// getJobCounts) and exits 0. Used to prove that jobs qtop retried are processed again.
//
//   node drain.js --redis URL --queue Q --expect N [--prefix bull]

const { Queue, Worker } = require('bullmq');
const { parseArgs, redisOptions, STATES, waitFor, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const connection = redisOptions(args.redis);
  const expect = Number(args.expect);
  const completed = [];
  const worker = new Worker(args.queue, async (job) => ({ ok: job.id }), {
    connection,
    prefix: args.prefix,
    name: 'w-drain',
  });
  worker.on('completed', (job) => completed.push(job.id));
  await waitFor('jobs completed', async () => completed.length >= expect, 60000);
  await worker.close();
  const queue = new Queue(args.queue, { connection, prefix: args.prefix });
  const counts = await queue.getJobCounts(...STATES);
  await queue.close();
  await emit('DONE ' + JSON.stringify({ completed, counts }));
}

runMain(main);
