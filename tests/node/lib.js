'use strict';
// Shared helpers for the BullMQ fixture scripts that qtop's integration tests
// drive. Kept dependency-free (only bullmq + ioredis in package.json) so the
// fixtures behave exactly like a real BullMQ deployment would.

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
    () => process.exit(0),
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exit(1);
    },
  );
}

module.exports = { parseArgs, redisOptions, STATES, sleep, waitFor, waitForStop, emit, runMain };
