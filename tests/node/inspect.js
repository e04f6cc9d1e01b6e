'use strict';
// Reads a queue with the real bullmq package, for assertions from Rust tests.
//
//   node inspect.js --redis URL --queue Q [--prefix bull] [--failed N] [--cluster]
//
// stdout: one line `INSPECT <json>` with
//   counts:  Queue.getJobCounts(...STATES)
//   failed:  the first N failed jobs (default 3) as
//            {id, state, failedReason, stacktrace, attemptsMade, processedBy, data}
//   workers: Queue.getWorkers() names (rawname)

const { Queue } = require('bullmq');
const { parseArgs, connection, STATES, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull', failed: '3' });
  if (!args.queue || args.queue === true) throw new Error('--queue Q is required');
  const queue = new Queue(args.queue, { connection: connection(args), prefix: args.prefix });
  const counts = await queue.getJobCounts(...STATES);
  const failedJobs = await queue.getFailed(0, Number(args.failed) - 1);
  const failed = [];
  for (const job of failedJobs) {
    failed.push({
      id: job.id,
      state: await job.getState(),
      failedReason: job.failedReason,
      stacktrace: job.stacktrace,
      attemptsMade: job.attemptsMade,
      processedBy: job.processedBy,
      data: job.data,
    });
  }
  const workers = (await queue.getWorkers()).map((w) => w.rawname);
  await emit('INSPECT ' + JSON.stringify({ counts, failed, workers }));
  await queue.close();
}

runMain(main);
