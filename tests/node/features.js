'use strict';
// The BullMQ features people run, and BullMQ's own word on them, for tests of what qtop
// shows (issue #14). One mode per run; long-running modes print READY and run until stdin
// closes (or a `stop` line).
//
//   node features.js --redis URL --queue Q --mode MODE [options] [--prefix bull]
//
// modes:
//   delayed     --count N --delay MS       N jobs added 150 ms apart, each with `delay`;
//                                          a worker runs them: DONE when all completed
//   scheduler   --every MS                 upsertJobScheduler('tick', {every}) + a worker
//   global-rate --max N --duration MS --rate R
//                                          setGlobalRateLimit(N, MS); R adds/s; 4 workers
//   limited     --max N --duration MS --rate R
//                                          a worker with limiter {max: N, duration: MS}
//   global-conc --limit C --workers W --rate R --work-ms M
//                                          setGlobalConcurrency(C); W workers; R adds/s
//   backlog     --rate R --work-ms M       R adds/s; one worker at concurrency 1 working M ms
//   workers     --count N [--name NAME]    N Worker instances (one blocking connection
//                                          each), no jobs
//   manual-limit --ms MS                   worker.rateLimit(MS): the limiter key is set
//   drain                                  queue.drain(): DRAINED
//   add         --count N                  N jobs added, no worker: ADDED
//   truth                                  one line TRUTH <json>: getJobCounts, getWorkers
//                                          count, getRateLimitTtl, getGlobalConcurrency,
//                                          getGlobalRateLimit, getJobSchedulers count, and
//                                          the head job of wait (id, age of its timestamp)

const { Queue, Worker } = require('bullmq');
const { parseArgs, connection, plainClient, STATES, sleep, waitFor, waitForStop, emit, runMain } = require('./lib');

function num(args, key, fallback) {
  const v = args[key] === undefined ? fallback : Number(args[key]);
  if (!Number.isFinite(v)) throw new Error(`--${key} must be a number, got ${args[key]}`);
  return v;
}

/** Adds one job every 1000/rate ms until `stop` resolves. */
async function produce(queue, rate, stopped) {
  const every = 1000 / rate;
  let next = Date.now();
  let n = 0;
  while (!stopped.done) {
    await queue.add('job', { n: n++ });
    next += every;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

function untilStopped() {
  const state = { done: false };
  state.promise = waitForStop().then(() => {
    state.done = true;
  });
  return state;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), { prefix: 'bull' });
  if (!args.queue || args.queue === true) throw new Error('--queue Q is required');
  const opts = { connection: connection(args), prefix: args.prefix };
  const queue = new Queue(args.queue, opts);
  const workers = [];
  const worker = (fn, extra = {}) => {
    const w = new Worker(args.queue, fn, { ...opts, connection: connection(args), ...extra });
    w.on('error', () => {});
    workers.push(w);
    return w;
  };
  const work = (ms) => async () => {
    if (ms > 0) await sleep(ms);
    return 'ok';
  };
  const stopped = ['truth', 'drain', 'add'].includes(args.mode) ? null : untilStopped();
  switch (args.mode) {
    case 'delayed': {
      const count = num(args, 'count', 10);
      const delay = num(args, 'delay', 2000);
      let completed = 0;
      worker(work(1), { concurrency: 4 }).on('completed', () => {
        completed += 1;
      });
      await emit('READY');
      for (let i = 0; i < count; i++) {
        await queue.add('later', { i }, { delay });
        await sleep(150);
      }
      await waitFor('every delayed job done', () => completed >= count, delay + 60000);
      await emit('DONE ' + JSON.stringify({ completed }));
      await stopped.promise;
      break;
    }
    case 'scheduler': {
      await queue.upsertJobScheduler('tick', { every: num(args, 'every', 1000) }, { name: 'tick' });
      worker(work(1));
      await emit('READY');
      await stopped.promise;
      break;
    }
    case 'global-rate': {
      await queue.setGlobalRateLimit(num(args, 'max', 2), num(args, 'duration', 1000));
      worker(work(1), { concurrency: 4 });
      await emit('READY');
      await Promise.race([produce(queue, num(args, 'rate', 5), stopped), stopped.promise]);
      break;
    }
    case 'limited': {
      worker(work(1), {
        concurrency: 4,
        limiter: { max: num(args, 'max', 2), duration: num(args, 'duration', 1000) },
      });
      await emit('READY');
      await Promise.race([produce(queue, num(args, 'rate', 5), stopped), stopped.promise]);
      break;
    }
    case 'global-conc': {
      await queue.setGlobalConcurrency(num(args, 'limit', 1));
      for (let i = 0; i < num(args, 'workers', 3); i++) {
        worker(work(num(args, 'work-ms', 100)), { concurrency: 4 });
      }
      await emit('READY');
      await Promise.race([produce(queue, num(args, 'rate', 15), stopped), stopped.promise]);
      break;
    }
    case 'backlog': {
      worker(work(num(args, 'work-ms', 40)), { concurrency: 1 });
      await emit('READY');
      await Promise.race([produce(queue, num(args, 'rate', 50), stopped), stopped.promise]);
      break;
    }
    case 'workers': {
      const name = args.name && args.name !== true ? args.name : undefined;
      for (let i = 0; i < num(args, 'count', 5); i++) {
        worker(work(0), name ? { name } : {});
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      await waitFor('every worker listed', async () => (await queue.getWorkers()).length >= workers.length);
      await emit('READY');
      await stopped.promise;
      break;
    }
    case 'manual-limit': {
      const w = worker(work(0));
      await w.waitUntilReady();
      await w.rateLimit(num(args, 'ms', 60000));
      await emit('READY');
      await stopped.promise;
      break;
    }
    case 'add': {
      for (let i = 0; i < num(args, 'count', 1); i++) await queue.add('job', { i });
      await emit('ADDED');
      break;
    }
    case 'drain': {
      await queue.drain();
      await emit('DRAINED');
      break;
    }
    case 'truth': {
      const counts = await queue.getJobCounts(...STATES);
      const client = plainClient(args);
      const headId = await client.lindex(`${args.prefix}:${args.queue}:wait`, -1);
      const headTs = headId ? Number(await client.hget(`${args.prefix}:${args.queue}:${headId}`, 'timestamp')) : null;
      const truth = {
        counts,
        workers: (await queue.getWorkers()).length,
        rateLimitTtl: await queue.getRateLimitTtl(),
        globalConcurrency: await queue.getGlobalConcurrency(),
        globalRateLimit: await queue.getGlobalRateLimit(),
        schedulers: (await queue.getJobSchedulers()).length,
        head: headId ? { id: headId, age_ms: Date.now() - headTs } : null,
        meta: await client.hgetall(`${args.prefix}:${args.queue}:meta`),
      };
      await emit('TRUTH ' + JSON.stringify(truth));
      await client.quit();
      break;
    }
    default:
      throw new Error(`unknown --mode ${args.mode}`);
  }
  await Promise.all(workers.map((w) => w.close(true)));
  await queue.close();
}

runMain(main);
