'use strict';
// Worker throughput benchmark helpers (benches/worker_throughput.rs).
//
//   node bench_worker.js --redis URL --queue Q --control
//       reads commands on stdin, one a line, and answers each with `OK <json>`:
//         pause        Queue.pause() (workers started now wait for `resume`)
//         fill N       adds N jobs with data {} in addBulk batches of 1000
//         resume       Queue.resume()
//       exits on stdin EOF.
//   node bench_worker.js --redis URL --queue Q --concurrency C
//       a Worker with a no-op processor: prints `READY` once it runs, then on `stop`
//       (or stdin EOF) closes and prints `DONE {"completed": n}`.

const readline = require('readline');
const { Queue, Worker } = require('bullmq');
const { parseArgs, redisOptions, waitForStop, emit, runMain } = require('./lib');

const BATCH = 1000;

async function fill(queue, total) {
  for (let done = 0; done < total; done += BATCH) {
    const n = Math.min(BATCH, total - done);
    const jobs = [];
    for (let i = 0; i < n; i++) jobs.push({ name: 'noop', data: {} });
    await queue.addBulk(jobs);
  }
}

async function control(connection, args) {
  const queue = new Queue(args.queue, { connection, prefix: args.prefix });
  await queue.waitUntilReady();
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, arg] = line.trim().split(/\s+/);
    const started = Date.now();
    if (command === 'pause') await queue.pause();
    else if (command === 'resume') await queue.resume();
    else if (command === 'fill') await fill(queue, Number(arg));
    else if (command === '') continue;
    else throw new Error(`unknown command ${JSON.stringify(line)}`);
    await emit('OK ' + JSON.stringify({ command, seconds: (Date.now() - started) / 1000 }));
  }
  await queue.close();
}

async function work(connection, args) {
  let completed = 0;
  const worker = new Worker(args.queue, async () => {}, {
    connection,
    prefix: args.prefix,
    concurrency: Number(args.concurrency),
    name: 'node-bench',
  });
  worker.on('completed', () => completed++);
  worker.on('error', (err) => console.error(`[worker] ${err && err.message}`));
  await worker.waitUntilReady();
  await emit('READY');
  await waitForStop();
  await worker.close();
  await emit('DONE ' + JSON.stringify({ completed }));
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull', concurrency: '1' });
  if (!args.queue || args.queue === true) throw new Error('--queue Q is required');
  const connection = redisOptions(args.redis);
  if (args.control) await control(connection, args);
  else await work(connection, args);
}

runMain(main);
