import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EvaluationRequest, EvaluationResult } from '../../../adapters/evaluators/evaluator.ts';
import { createNixEvaluator } from '../../../adapters/evaluators/nix/nix-evaluator.ts';
import { nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

const evaluations = suite<Context>('the nix evaluator');

evaluations.before.each(async (context) => {
  const dir = await tempDir('tally-nix-eval-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
evaluations.after.each(async (context) => context.cleanup());

const evaluator = createNixEvaluator();
const limits = { timeoutMs: 60_000, memoryBytes: 1 << 30, outputBytes: 16 << 20 };

function evaluate(
  dir: string,
  text: string,
  extra: Partial<EvaluationRequest> = {},
): Promise<EvaluationResult> {
  writeFileSync(join(dir, 'release.nix'), text);
  return evaluator.evaluate({
    checkoutDir: dir,
    entry: 'release.nix',
    storeDir: '/nix/store',
    systems: [],
    limits,
    ...extra,
  });
}

const release = `{ supportedSystems ? [ "x86_64-linux" ] }:
let mk = name: system: derivation { inherit name system; builder = "/bin/sh"; args = [ "-c" "echo \${name} > $out" ]; };
    base = mk "base" "x86_64-linux";
in {
  hello = derivation { name = "hello"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "\${base}" ]; outputs = [ "out" "dev" ]; };
  tools = { a = mk "a" "x86_64-linux"; deeper.b = mk "b" "aarch64-linux"; };
  perSystem = builtins.listToAttrs (map (s: { name = s; value = mk "p" s; }) supportedSystems);
  number = 3; text = "not a job"; nothing = null;
}`;

function failedWith(result: EvaluationResult, reason: string): void {
  if (result.ok) {
    assert.unreachable('the evaluation succeeded');
    return;
  }
  assert.is(result.reason, reason, `${result.message}\n${result.log}`);
}

nixTest(
  evaluations,
  'flattens nested sets to dotted names and returns the .drv closure',
  withTimeout(60_000, async ({ dir }) => {
    const result = await evaluate(dir, release);
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(result.jobs.map((job) => job.name).sort(), [
      'hello',
      'perSystem.x86_64-linux',
      'tools.a',
      'tools.deeper.b',
    ]);
    const hello = result.jobs.find((job) => job.name === 'hello')!;
    assert.equal(Object.keys(hello.outputs).sort(), ['dev', 'out']);
    // hello, its input base, a, b and p.
    assert.is(result.drvFiles.size, 5);
    assert.ok([...result.drvFiles.keys()].some((path) => path.endsWith('-base.drv')));
  }),
);

nixTest(
  evaluations,
  'passes the systems asked for and keeps only their jobs',
  withTimeout(60_000, async ({ dir }) => {
    const result = await evaluate(dir, release, { systems: ['aarch64-linux'] });
    if (!result.ok) return assert.unreachable(result.message);
    assert.equal(result.jobs.map((job) => job.name).sort(), ['perSystem.aarch64-linux', 'tools.deeper.b']);
  }),
);

nixTest(
  evaluations,
  'reports an evaluation error with nix’s message in the log',
  withTimeout(60_000, async ({ dir }) => {
    const result = await evaluate(dir, '{ broken = throw "the release file is broken"; }');
    failedWith(result, 'evaluator-error');
    assert.match(result.log, /the release file is broken/);
  }),
);

nixTest(
  evaluations,
  'kills an evaluation past its time limit',
  withTimeout(60_000, async ({ dir }) => {
    // Ten billion additions in constant memory: minutes of work, no recursion to overflow.
    const loop =
      "let l = builtins.genList (x: x) 100000; in { x = builtins.foldl' (a: i: a + builtins.foldl' (b: j: b + j) 0 l) 0 l; }";
    failedWith(await evaluate(dir, loop, { limits: { ...limits, timeoutMs: 1500 } }), 'timed-out');
  }),
);

nixTest(
  evaluations,
  'reports running out of memory',
  withTimeout(60_000, async ({ dir }) => {
    const hog = '{ x = builtins.length (builtins.genList (i: toString i) 200000000) == 0; }';
    failedWith(await evaluate(dir, hog, { limits: { ...limits, memoryBytes: 256 << 20 } }), 'out-of-memory');
  }),
);

nixTest(
  evaluations,
  'refuses an entry outside the checkout',
  withTimeout(60_000, async ({ dir }) => {
    const result = await evaluator.evaluate({
      checkoutDir: dir,
      entry: '../../etc/passwd',
      storeDir: '/nix/store',
      systems: [],
      limits,
    });
    failedWith(result, 'malformed-jobset');
  }),
);

evaluations.run();
reportSkipped();
