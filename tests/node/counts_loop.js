'use strict';
// What existing dashboards do: every second, `Queue.getJobCounts()` for every queue.
// The queue names are found once with SCAN (like qtop, so both watch the same queues).
// Runs until stdin closes or a `stop` line; prints `READY <n>` once polling.
//
//   node counts_loop.js --redis URL [--prefix bull] [--interval-ms 1000] [--cluster]

const { Queue } = require('bullmq');
const { parseArgs, plainClient, STATES, sleep, waitForStop, emit, runMain, scanKeys } = require('./lib');

async function queueNames(args) {
  const redis = plainClient(args);
  const prefix = args.prefix;
  const keys = await scanKeys(redis, `${prefix}:*:meta`);
  await redis.quit();
  return [...new Set(keys.map((key) => key.slice(prefix.length + 1, -':meta'.length)))];
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull', 'interval-ms': '1000' });
  const names = await queueNames(args);
  // One shared connection, as a dashboard process would have.
  const shared = plainClient(args);
  const queues = names.map((name) => new Queue(name, { connection: shared, prefix: args.prefix }));
  await emit(`READY ${queues.length}`);
  let stopped = false;
  waitForStop().then(() => { stopped = true; });
  const every = Number(args['interval-ms']);
  while (!stopped) {
    const started = Date.now();
    await Promise.all(queues.map((q) => q.getJobCounts(...STATES)));
    const left = every - (Date.now() - started);
    if (left > 0) await sleep(left);
  }
  await Promise.all(queues.map((q) => q.close()));
  await shared.quit();
}

runMain(main);
