'use strict';
// Repeatable jobs as an older BullMQ makes them (`queue.add(name, data, {repeat})`, before
// job schedulers): v3 keeps only a `repeat` zset member named by the job's options, v5 a
// hashed key with a `repeat:<key>` hash. Prints `READY <json>`: the library's own
// `getRepeatableJobs()`, and exits.
//
//   node legacy_repeat.js --redis URL --version v3|v5 --queue NAME [--prefix bull]

const { parseArgs, redisOptions, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  const { Queue } = require(`bullmq-${args.version}`);
  const queue = new Queue(args.queue, { connection: redisOptions(args.redis), prefix: args.prefix });
  await queue.add('poll', { src: 'a' }, { repeat: { every: 10000 } });
  await queue.add('nightly', { src: 'b' }, { repeat: { pattern: '0 3 * * *', tz: 'Europe/Paris' } });
  await queue.add('report', {}, { repeat: { pattern: '*/5 * * * *' }, jobId: 'rep' });
  const repeatables = await queue.getRepeatableJobs();
  await emit('READY ' + JSON.stringify(repeatables));
  await queue.close();
}

runMain(main);
