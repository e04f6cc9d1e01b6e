'use strict';
// Deduplicated, debounced and duplicated adds made by the real bullmq package, counted by
// BullMQ's own QueueEvents. No worker: every job kept stays in the queue.
//
//   node dedup.js --redis URL --queue NAME [--lib bullmq|bullmq-v5] [--prefix bull]
//                 [--forever]
//
// Without --forever: adds 4 jobs that will run, 5 adds deduplicated against one of them
// (simple and throttle), a debounce with replace (1 add, then 3 replacing it), 2 adds of
// an existing custom id; waits until QueueEvents has heard every event and prints
// `READY {"events": {added, deduplicated, debounced, duplicated, removed},
//         "jobs": <jobs in the queue: getJobCounts' sum>}`, then exits.
// With --forever: adds one job, prints `READY {}`, then adds a duplicate of it by
// deduplication id every 20 ms until stdin closes.

const { parseArgs, connection, waitFor, waitForStop, emit, runMain, sleep } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull', lib: 'bullmq' });
  const { Queue, QueueEvents } = require(args.lib);
  const base = () => ({ connection: connection(args), prefix: args.prefix });
  const queue = new Queue(args.queue, base());
  if (args.forever) {
    await queue.add('one', {}, { deduplication: { id: 'same' } });
    await emit('READY {}');
    let stop = false;
    waitForStop().then(() => (stop = true));
    while (!stop) {
      await queue.add('one', {}, { deduplication: { id: 'same' } });
      await sleep(20);
    }
    await queue.close();
    return;
  }
  const events = new QueueEvents(args.queue, base());
  await events.waitUntilReady();
  const heard = { added: 0, deduplicated: 0, debounced: 0, duplicated: 0, removed: 0 };
  for (const name of Object.keys(heard)) events.on(name, () => heard[name]++);

  const expected = { deduplicated: 0, duplicated: 0 };
  for (let n = 1; n <= 3; n++) await queue.add('plain', { n });
  // Simple deduplication: the first add is kept, the next three are dropped.
  for (let n = 0; n < 4; n++) await queue.add('dedup', { n }, { deduplication: { id: 'simple' } });
  expected.deduplicated += 3;
  // Throttle (ttl): the first add is kept (delayed), the next two are dropped.
  for (let n = 0; n < 3; n++) {
    await queue.add('throttle', { n }, { deduplication: { id: 'ttl', ttl: 60000 }, delay: 60000 });
  }
  expected.deduplicated += 2;
  // Debounce with replace: each add removes the delayed job before it and takes its place.
  const debounce = { id: 'debounce', ttl: 60000, extend: true, replace: true };
  for (let n = 0; n < 4; n++) {
    await queue.add('debounce', { n }, { deduplication: debounce, delay: 60000 });
  }
  expected.deduplicated += 3;
  // An id that exists: BullMQ keeps the first and emits `duplicated`.
  for (let n = 0; n < 3; n++) await queue.add('custom', { n }, { jobId: 'custom-1' });
  expected.duplicated += 2;

  await waitFor('QueueEvents heard every add', async () =>
    heard.deduplicated === expected.deduplicated && heard.duplicated === expected.duplicated,
  );
  const counts = await queue.getJobCounts();
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  await emit('READY ' + JSON.stringify({ events: heard, jobs, counts }));
  await events.close();
  await queue.close();
}

runMain(main);
