'use strict';
// What BullMQ itself exports for Prometheus: `Queue.exportPrometheusMetrics()` and
// `Queue.getJobCounts()` (no arguments: the states that export covers) of each queue, for
// comparing `qtop exporter` with BullMQ's own output.
//
//   node prom_export.js --redis URL --queues a,b,c [--prefix bull]
//
// stdout: one line `EXPORT <json>`: {"<queue>": {"text": "<exposition>", "counts": {...}}}

const { Queue } = require('bullmq');
const { parseArgs, connection, emit, runMain } = require('./lib');

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  if (!args.queues || args.queues === true) throw new Error('--queues a,b,c is required');
  const out = {};
  for (const name of args.queues.split(',')) {
    const queue = new Queue(name, { connection: connection(args), prefix: args.prefix });
    out[name] = {
      text: await queue.exportPrometheusMetrics(),
      counts: await queue.getJobCounts(),
    };
    await queue.close();
  }
  await emit('EXPORT ' + JSON.stringify(out));
}

runMain(main);
