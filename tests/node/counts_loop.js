'use strict';
// What existing dashboards do: every second, `Queue.getJobCounts()` for every queue.
// The queue names are found once with SCAN (like qtop, so both watch the same queues).
// Runs until stdin closes or a `stop` line; prints `READY <n>` once polling.
//
//   node counts_loop.js --redis URL [--prefix bull] [--interval-ms 1000]

const { Queue } = require('bullmq');
const IORedis = require('ioredis');
const { parseArgs, redisOptions, STATES, sleep, waitForStop, emit, runMain } = require('./lib');

async function queueNames(connection, prefix) {
  const redis = new IORedis(connection);
  const names = new Set();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) names.add(key.slice(prefix.length + 1, -':meta'.length));
  } while (cursor !== '0');
  await redis.quit();
  return [...names];
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull', 'interval-ms': '1000' });
  const connection = redisOptions(args.redis);
  const names = await queueNames(connection, args.prefix);
  // One shared connection, as a dashboard process would have.
  const shared = new IORedis(connection);
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
