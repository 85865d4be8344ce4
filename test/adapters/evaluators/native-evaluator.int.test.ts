import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import type { EvaluationRequest, EvaluationResult } from '../../../adapters/evaluators/evaluator.ts';
import { createNativeEvaluator } from '../../../adapters/evaluators/native/native-evaluator.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { until } from '../builders/processes.ts';
import { type EscapedChild, escapedChild } from './escaped-child.ts';

const fixture = new URL('../../fixtures/jobsets/graph', import.meta.url).pathname;

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
  /** Children a test's jobs program left in sessions of their own, killed after it. */
  escaped: EscapedChild[];
}

const bwrap = await detectBubblewrap();
if (!bwrap.usable) console.log(`SKIPPED: killing escaped children, as bwrap cannot run here: ${bwrap.why}`);

const native = suite<Context>('the native evaluator');

native.before.each(async (context) => {
  const dir = await tempDir('tally-native-eval-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  context.escaped = [];
});
native.after.each(async (context) => {
  for (const escaped of context.escaped) escaped.kill();
  await context.cleanup();
});

function track(context: Context): EscapedChild {
  const escaped = escapedChild(context.dir);
  context.escaped.push(escaped);
  return escaped;
}

const evaluator = createNativeEvaluator();

function request(checkoutDir: string, extra: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return {
    checkoutDir,
    entry: 'tally.jobs.json',
    storeDir: '/nix/store',
    systems: [],
    limits: { timeoutMs: 20_000, memoryBytes: 256 << 20, outputBytes: 16 << 20 },
    ...extra,
  };
}

function failed(result: EvaluationResult, reason: string, message?: RegExp): void {
  if (result.ok) {
    assert.unreachable('the evaluation succeeded');
    return;
  }
  assert.is(result.reason, reason, result.message);
  if (message) assert.match(result.message, message);
}

/** A checkout holding `files` (path → contents; a function entry is made executable). */
function checkout(dir: string, files: Record<string, string>): string {
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), contents);
    if (contents.startsWith('#!')) chmodSync(join(dir, path), 0o755);
  }
  return dir;
}

const simpleJobs = JSON.stringify({
  jobs: { a: { system: 'x86_64-linux', builder: '/bin/sh', args: ['-c', 'echo > $out'] } },
});

native(
  'turns a jobset into jobs, their .drv files and their sources',
  withTimeout(20_000, async () => {
    const result = await evaluator.evaluate(request(fixture));
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(
      result.jobs.map((job) => job.name),
      ['greeting', 'tree', 'hello', 'elsewhere'],
    );
    const hello = result.jobs.find((job) => job.name === 'hello')!;
    assert.match(hello.drvPath, /^\/nix\/store\/[0-9a-z]{32}-hello-1\.0\.drv$/);
    assert.equal(Object.keys(result.jobs.find((job) => job.name === 'tree')!.outputs), ['out', 'dev']);
    assert.is(result.drvFiles.size, 4);
    assert.equal([...result.sources.values()].sort(), [
      join(fixture, 'src/greeting'),
      join(fixture, 'src/greeting/hello.txt'),
    ]);
  }),
);

native(
  'keeps only the jobs of the systems asked for, with their closure',
  withTimeout(20_000, async () => {
    const result = await evaluator.evaluate(request(fixture, { systems: ['aarch64-linux'] }));
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(
      result.jobs.map((job) => job.name),
      ['elsewhere'],
    );
    assert.is(result.drvFiles.size, 1);
  }),
);

native(
  'computes paths for the store directory it is given',
  withTimeout(20_000, async () => {
    const result = await evaluator.evaluate(request(fixture, { storeDir: '/tmp/tally/store' }));
    if (!result.ok) return assert.unreachable(result.message);
    for (const path of result.drvFiles.keys()) assert.ok(path.startsWith('/tmp/tally/store/'), path);
  }),
);

native(
  'runs a jobs program of the checkout and reads its output',
  withTimeout(20_000, async ({ dir }) => {
    checkout(dir, { 'jobs.sh': `#!/bin/sh\necho 'generating' >&2\ncat <<'EOF'\n${simpleJobs}\nEOF\n` });
    const result = await evaluator.evaluate(request(dir, { entry: 'jobs.sh' }));
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(
      result.jobs.map((job) => job.name),
      ['a'],
    );
    assert.match(result.log, /generating/);
  }),
);

native(
  'reports a failing jobs program as an evaluator error with its log',
  withTimeout(20_000, async ({ dir }) => {
    checkout(dir, { 'jobs.sh': '#!/bin/sh\necho "it broke" >&2\nexit 4\n' });
    const result = await evaluator.evaluate(request(dir, { entry: 'jobs.sh' }));
    failed(result, 'evaluator-error', /jobs\.sh failed/);
    assert.match(result.log, /it broke/);
  }),
);

native(
  'caps the memory of a jobs program: one that allocates without bound fails with out-of-memory',
  withTimeout(30_000, async ({ dir }) => {
    // Buffers live outside the V8 heap, so only the address-space cap can stop this program.
    const hog = `#!${process.execPath}\nconst kept = [];\nfor (;;) kept.push(Buffer.alloc(1 << 24, 1));\n`;
    checkout(dir, { 'jobs.js': hog });
    const result = await evaluator.evaluate(
      request(dir, { entry: 'jobs.js', limits: { ...request(dir).limits, memoryBytes: 1 << 30 } }),
    );
    failed(result, 'out-of-memory', /jobs\.js ran out of its 1073741824 bytes/);
    assert.match(result.log, /allocation failed/i);
  }),
);

native(
  'kills an evaluation past its time limit, with the processes it started',
  withTimeout(20_000, async ({ dir }) => {
    checkout(dir, { 'jobs.sh': '#!/bin/sh\n/bin/sleep 30\n' });
    const started = Date.now();
    const result = await evaluator.evaluate(
      request(dir, { entry: 'jobs.sh', limits: { ...request(dir).limits, timeoutMs: 1500 } }),
    );
    failed(result, 'timed-out');
    assert.ok(Date.now() - started < 10_000);
  }),
);

native(
  'ends an evaluation at its time limit though its jobs program left a child in a session of its own, and kills that child where bwrap works',
  withTimeout(20_000, async (context) => {
    const escaped = track(context);
    checkout(context.dir, { 'jobs.sh': `#!/bin/sh\n${escaped.start}\nexec /bin/sleep 30\n` });
    const started = Date.now();
    const result = await evaluator.evaluate(
      request(context.dir, { entry: 'jobs.sh', limits: { ...request(context.dir).limits, timeoutMs: 1500 } }),
    );
    failed(result, 'timed-out', /ran longer than 1500 ms/);
    const took = Date.now() - started;
    assert.ok(took < 1500 + 2000, `ended ${took} ms after it started`);
    if (bwrap.usable)
      await until(() => escaped.running().length === 0, 2000, 'the escaped child to be killed');
  }),
);

native(
  'reads the jobs of a program that exited leaving a child in a session of its own, without waiting for that child',
  withTimeout(30_000, async (context) => {
    const escaped = track(context);
    checkout(context.dir, {
      'jobs.sh': `#!/bin/sh\n${escaped.start}\ncat <<'EOF'\n${simpleJobs}\nEOF\n`,
    });
    const started = Date.now();
    const result = await evaluator.evaluate(
      request(context.dir, {
        entry: 'jobs.sh',
        limits: { ...request(context.dir).limits, timeoutMs: 15_000 },
      }),
    );
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(
      result.jobs.map((job) => job.name),
      ['a'],
    );
    const took = Date.now() - started;
    assert.ok(took < 6000, `ended ${took} ms after it started`);
    if (bwrap.usable)
      await until(() => escaped.running().length === 0, 2000, 'the escaped child to be killed');
  }),
);

native(
  'refuses output past the cap',
  withTimeout(20_000, async ({ dir }) => {
    checkout(dir, {
      'jobs.sh': '#!/bin/sh\nwhile :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done\n',
    });
    const result = await evaluator.evaluate(
      request(dir, { entry: 'jobs.sh', limits: { ...request(dir).limits, outputBytes: 1 << 20 } }),
    );
    failed(result, 'output-too-large');
  }),
);

native(
  'reports running out of memory',
  withTimeout(60_000, async ({ dir }) => {
    const env = Object.fromEntries(
      Array.from({ length: 200_000 }, (_, i) => [`v${i}`, `value ${i} `.repeat(8)]),
    );
    const job = { system: 'x86_64-linux', builder: '/bin/sh', env };
    checkout(dir, { 'tally.jobs.json': JSON.stringify({ jobs: { a: job, b: job, c: job } }) });
    const result = await evaluator.evaluate(
      request(dir, { limits: { ...request(dir).limits, memoryBytes: 32 << 20 } }),
    );
    failed(result, 'out-of-memory');
  }),
);

native(
  'refuses a source behind a symlink that leaves the checkout',
  withTimeout(20_000, async ({ dir }) => {
    const jobs = {
      jobs: { a: { system: 'x', builder: '/bin/sh', env: { s: '@{source:etc}' }, sources: ['etc'] } },
    };
    checkout(dir, { 'tally.jobs.json': JSON.stringify(jobs) });
    symlinkSync('/etc', join(dir, 'etc'));
    failed(
      await evaluator.evaluate(request(dir)),
      'malformed-jobset',
      /job 'a': source 'etc' resolves outside the checkout/,
    );
  }),
);

native(
  'refuses a source that does not exist',
  withTimeout(20_000, async ({ dir }) => {
    const jobs = {
      jobs: { a: { system: 'x', builder: '/bin/sh', env: { s: '@{source:gone}' }, sources: ['gone'] } },
    };
    checkout(dir, { 'tally.jobs.json': JSON.stringify(jobs) });
    failed(
      await evaluator.evaluate(request(dir)),
      'malformed-jobset',
      /job 'a': source 'gone' does not exist/,
    );
  }),
);

native(
  'refuses a jobset that is not JSON, and an invalid one with every problem',
  withTimeout(20_000, async ({ dir }) => {
    checkout(dir, { 'tally.jobs.json': '{ "jobs": ', 'bad/tally.jobs.json': '{"jobs":{"a b":{}}}' });
    failed(await evaluator.evaluate(request(dir)), 'malformed-jobset', /is not JSON/);
    failed(
      await evaluator.evaluate(request(join(dir, 'bad'))),
      'malformed-jobset',
      /job 'a b'.*\n.*builder/s,
    );
  }),
);

native(
  'refuses an entry outside the checkout',
  withTimeout(20_000, async ({ dir }) => {
    cpSync(fixture, join(dir, 'inner'), { recursive: true });
    failed(
      await evaluator.evaluate(request(join(dir, 'inner'), { entry: '../inner/../../etc/passwd' })),
      'malformed-jobset',
    );
  }),
);

native.run();
