import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import { runChild } from '../../../adapters/evaluators/child.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { until } from '../builders/processes.ts';
import { type EscapedChild, escapedChild } from './escaped-child.ts';

interface Context {
  dir: string;
  escaped: EscapedChild;
  cleanup: () => Promise<void>;
}

const bwrap = await detectBubblewrap();
if (!bwrap.usable) console.log(`SKIPPED: the pid namespace test, as bwrap cannot run here: ${bwrap.why}`);

const test = suite<Context>('an evaluator child');

test.before.each(async (context) => {
  const dir = await tempDir('tally-evaluator-child-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
  context.escaped = escapedChild(dir.path);
});
test.after.each(async (context) => {
  context.escaped.kill();
  await context.cleanup();
});

const limits = { timeoutMs: 1500, outputBytes: 1 << 20 };

for (const ownPidNamespace of [false, true]) {
  const where = ownPidNamespace ? 'in its own pid namespace' : 'without a pid namespace';
  const maybe = ownPidNamespace && !bwrap.usable ? test.skip : test;

  maybe(
    `ends at its time limit though a child in a session of its own holds its output (${where})`,
    withTimeout(15_000, async ({ escaped }) => {
      const started = Date.now();
      const run = await runChild('/bin/sh', ['-c', `${escaped.start}\nexec /bin/sleep 30`], {
        ...limits,
        ownPidNamespace,
      });
      assert.equal(run.end, { kind: 'timed-out' });
      const took = Date.now() - started;
      assert.ok(took < limits.timeoutMs + 2000, `ended ${took} ms after it started`);
    }),
  );

  maybe(
    `ends with what it wrote once it exited, though a child in a session of its own holds its output (${where})`,
    withTimeout(15_000, async ({ escaped }) => {
      const started = Date.now();
      const run = await runChild('/bin/sh', ['-c', `${escaped.start}\necho answer`], {
        ...limits,
        timeoutMs: 10_000,
        ownPidNamespace,
      });
      assert.equal(run.end, { kind: 'exited', code: 0 });
      assert.is(run.stdout.toString(), 'answer\n');
      const took = Date.now() - started;
      assert.ok(took < 3000, `ended ${took} ms after it started`);
    }),
  );
}

(bwrap.usable ? test : test.skip)(
  'kills the children that left its process group, in its own pid namespace',
  withTimeout(15_000, async ({ escaped }) => {
    const run = await runChild('/bin/sh', ['-c', `${escaped.start}\necho started`], limits);
    assert.equal(run.end, { kind: 'exited', code: 0 });
    await until(() => escaped.running().length === 0, 2000, 'the escaped child to be killed');
  }),
);

test.run();
