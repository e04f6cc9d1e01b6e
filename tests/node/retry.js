'use strict';
// BullMQ's own retry of one failed job (`job.retry('failed')`), the reference that qtop's
// retry is compared with. Prints `DONE` and exits 0.
//
//   node retry.js --redis URL --queue Q --id ID [--prefix bull]

const { Queue } = require('bullmq');
const { parseArgs, redisOptions, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const queue = new Queue(args.queue, { connection: redisOptions(args.redis), prefix: args.prefix });
  const job = await queue.getJob(String(args.id));
  if (!job) throw new Error(`no job ${args.id}`);
  await job.retry('failed');
  await queue.close();
  await emit('DONE');
}

runMain(main);
