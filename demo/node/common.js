'use strict';
// Shared bits of the Node demo scripts: bullmq lookup, argument parsing, Redis URLs, and
// the qtop demo key layout (must match src/source/bullmq/keys.rs).

function requireModule(name) {
  // Prefer a local install (`npm install` here); otherwise reuse the test fixtures' install
  // (`npm ci --prefix tests/node`), so a presenter needs no second npm install.
  try {
    return require(name);
  } catch (_) {
    return require(`../../tests/node/node_modules/${name}`);
  }
}

/** `--key value` and `--flag` arguments over `defaults`. */
function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else {
      out[a.slice(2)] = next;
      i++;
    }
  }
  return out;
}

/** ioredis options from redis://[user:pass@]host:port[/db] or unix:///path/to/socket. */
function redisOptions(url) {
  const base = { maxRetriesPerRequest: null };
  const unix = url.match(/^(?:redis\+)?unix:\/\/(\/[^?]+)/);
  if (unix) return { ...base, path: unix[1] };
  const u = new URL(url);
  const opts = { ...base, host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
  if (u.protocol === 'rediss:') opts.tls = {};
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (u.pathname.length > 1) opts.db = Number(u.pathname.slice(1));
  return opts;
}

const keys = (prefix, queue) => ({
  done: (key) => `${prefix}:${queue}:qtop:done:${key}`,
  stats: `${prefix}:${queue}:qtop:stats`,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves on a `stop` line, stdin EOF, SIGTERM or SIGINT. */
function stopRequested() {
  return new Promise((resolve) => {
    let buffer = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buffer += chunk;
      if (buffer.split('\n').some((line) => line.trim() === 'stop')) resolve('stop');
    });
    process.stdin.on('end', () => resolve('stdin closed'));
    process.on('SIGTERM', () => resolve('SIGTERM'));
    process.on('SIGINT', () => resolve('SIGINT'));
  });
}

module.exports = { requireModule, parseArgs, redisOptions, keys, sleep, stopRequested };
