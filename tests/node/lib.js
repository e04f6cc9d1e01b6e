'use strict';
// Shared helpers for the BullMQ fixture scripts that qtop's integration tests
// drive. Kept dependency-free (only bullmq + ioredis in package.json) so the
// fixtures behave exactly like a real BullMQ deployment would.
//
// scenario.js, load.js, inspect.js and counts_loop.js also take `--cluster`: the
// `--redis` URL is then one node of a Redis Cluster (a seed; the others are
// discovered). Give them a hash-tagged prefix (`--prefix '{bull}'`) so that each
// queue's keys share a slot, as BullMQ's multi-key Lua scripts need.

const IORedis = require('ioredis');

/**
 * Tiny `--key value` / `--flag` parser. A flag followed by another `--x` (or
 * by nothing) is boolean true. Unknown positional arguments are an error so
 * typos in test code fail loudly instead of being silently ignored.
 */
function parseArgs(argv, defaults = {}) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    }
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      out[key] = true;
    } else {
      out[key] = next;
      i++;
    }
  }
  return out;
}

/**
 * Turns a Redis URL into ioredis connection options.
 *   unix:///path/redis.sock, redis+unix:///path  -> { path }
 *   redis://[user:pass@]host:port[/db]           -> { host, port, username, password, db }
 * `maxRetriesPerRequest: null` is what BullMQ requires for workers (blocking
 * commands must not be cut short by ioredis' retry limit).
 */
function redisOptions(url) {
  if (!url) throw new Error('--redis URL is required');
  const base = { maxRetriesPerRequest: null };
  const unix = url.match(/^(?:redis\+)?unix:\/\/(\/.+)$/);
  if (unix) {
    // Allow an optional query (e.g. ?db=1) after the path.
    const [path, query] = unix[1].split('?');
    const opts = { ...base, path };
    const db = query && new URLSearchParams(query).get('db');
    if (db) opts.db = Number(db);
    return opts;
  }
  const u = new URL(url);
  if (u.protocol !== 'redis:') {
    throw new Error(`unsupported Redis URL scheme ${u.protocol} in ${url}`);
  }
  const opts = { ...base, host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db) opts.db = Number(db);
  return opts;
}

/**
 * The BullMQ `connection` for the fixture's `--redis URL` (and `--cluster`).
 *   single node: ioredis options, so each Queue/Worker opens its own connections;
 *   --cluster:   a new ioredis Cluster seeded with the URL's host and port. BullMQ
 *                uses the instance as is (a Worker duplicates it for its blocking
 *                connection) and never closes it: runMain disconnects them all.
 * One Cluster per call keeps the two modes alike: every Queue/Worker has its own
 * connections (and a Worker's CLIENT SETNAME names only its own).
 */
function connection(args) {
  const opts = redisOptions(args.redis);
  if (args.cluster !== true) return opts;
  if (opts.path) throw new Error('--cluster needs a redis://host:port URL, not a unix socket');
  if (opts.db) throw new Error('--cluster: a Redis Cluster has only db 0');
  const { host, port, ...redisOpts } = opts;
  const cluster = new IORedis.Cluster([{ host, port }], {
    // maxRetriesPerRequest: null (from redisOptions) is what BullMQ checks on a
    // Cluster for workers.
    redisOptions: redisOpts,
    // Ride out a failover: until the replica is promoted (about 2 s with the
    // test clusters' 1 s node timeout) other nodes answer MOVED to the dead
    // master, and each retry counts as a redirection. ioredis' defaults (16
    // redirections, 100 ms apart) give up after 1.6 s with "Too many Cluster
    // redirections"; these allow about 20 s.
    maxRedirections: 100,
    retryDelayOnFailover: 200,
  });
  clusters.push(cluster);
  return cluster;
}

/** Clusters made by `connection`, disconnected when the fixture ends. */
const clusters = [];

/**
 * A plain ioredis client (not for BullMQ) for the same target: a Redis or a
 * Cluster. Closed with `.quit()` by the caller.
 */
function plainClient(args) {
  if (args.cluster === true) return connection(args);
  return new IORedis(redisOptions(args.redis));
}

/**
 * Every key matching `pattern`, via SCAN. On a Cluster, each master is scanned
 * (SCAN is per node); on a single node, that node.
 */
async function scanKeys(client, pattern) {
  // A Cluster knows its nodes only once it has loaded the slot map.
  if (client.isCluster && client.status !== 'ready') {
    await new Promise((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
  }
  const nodes = client.isCluster ? client.nodes('master') : [client];
  const keys = new Set();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      batch.forEach((k) => keys.add(k));
    } while (cursor !== '0');
  }
  return [...keys];
}

/** The job states that the fixtures report, in getJobCounts order. */
const STATES = [
  'waiting',
  'active',
  'prioritized',
  'delayed',
  'completed',
  'failed',
  'waiting-children',
  'paused',
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (async, returns truthy when done) every `everyMs` up to `timeoutMs`. */
async function waitFor(what, check, timeoutMs = 20000, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Resolves when stdin closes or a line `stop` arrives. Tests use this to shut
 * a long-running fixture down cleanly (closing stdin is enough when the Rust
 * side drops its handle).
 */
function waitForStop() {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        process.stdin.pause();
        resolve();
      }
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === 'stop') finish();
      }
    });
    process.stdin.on('end', finish);
    process.stdin.on('close', finish);
    process.stdin.on('error', finish);
  });
}

/**
 * Writes one protocol line (READY/ADDED/DONE) and waits until it is flushed,
 * so a test reading our stdout through a pipe sees it immediately.
 */
function emit(line) {
  return new Promise((resolve) => process.stdout.write(line + '\n', resolve));
}

/** Runs `main`, exiting 0 on success and 1 with the error on stderr otherwise. */
function runMain(main) {
  main().then(
    () => {
      clusters.forEach((c) => c.disconnect());
      process.exit(0);
    },
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exit(1);
    },
  );
}

module.exports = {
  parseArgs,
  redisOptions,
  connection,
  plainClient,
  scanKeys,
  STATES,
  sleep,
  waitFor,
  waitForStop,
  emit,
  runMain,
};
