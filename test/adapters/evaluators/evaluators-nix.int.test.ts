/**
 * The contract of the native evaluator, checked against the real nix: a native job and the Nix
 * expression `derivation { … }` it stands for (written by `jobsetToNix`) give the same `.drv` path
 * and bytes; and the nix evaluator, on that expression, gives the same jobs.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EvaluationRequest, EvaluationSuccess } from '../../../adapters/evaluators/evaluator.ts';
import { createNativeEvaluator } from '../../../adapters/evaluators/native/native-evaluator.ts';
import { createNixEvaluator } from '../../../adapters/evaluators/nix/nix-evaluator.ts';
import { nix, nixEnv, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { jobsetToNix } from './jobset-to-nix.ts';

const fixture = new URL('../../fixtures/jobsets/graph', import.meta.url).pathname;

/** Strings Nix must escape or that are easy to get wrong in ATerm. */
const awkward = {
  jobs: {
    base: {
      system: 'x86_64-linux',
      builder: '/bin/sh',
      args: ['-c', 'echo "quoted" \\ back\n\ttab\r', '', 'ünïcødé 名前 😀', '$out $' + '{notNix}'],
      env: { weird: 'a=b;c"d\\e\nf', empty: '', dollar: '$HOME $' + '{x}', 'dashed-name': 'y' },
      outputs: ['out', 'lib', 'doc'],
    },
    fixed: {
      system: 'x86_64-linux',
      builder: '/bin/sh',
      env: { outputHash: 'sha256-47DEQpj8HBSa+/TZIW+izdApvUeXdzGJ/iWJkATgOJY=', outputHashMode: 'recursive' },
    },
    top: {
      name: 'top-2.0',
      system: 'aarch64-linux',
      builder: '@{job:base:lib}/bin/sh',
      args: ['@{job:fixed}', '@{job:base:doc}@{job:base}'],
      env: { both: '@{source:notes.txt} and @{source:tree}' },
      inputs: ['base', 'fixed'],
      sources: ['notes.txt', 'tree'],
    },
  },
};

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

const contract = suite<Context>('native jobs against nix');

contract.before.each(async (context) => {
  const dir = await tempDir('tally-eval-nix-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
contract.after.each(async (context) => context.cleanup());

const limits = { timeoutMs: 60_000, memoryBytes: 1 << 30, outputBytes: 16 << 20 };
const request = (checkoutDir: string, entry: string): EvaluationRequest => ({
  checkoutDir,
  entry,
  storeDir: '/nix/store',
  systems: [],
  limits,
});

async function succeed(promise: Promise<unknown>): Promise<EvaluationSuccess> {
  const result = (await promise) as EvaluationSuccess | { ok: false; message: string; log: string };
  if (!result.ok) assert.unreachable(`${result.message}\n${result.log}`);
  return result as EvaluationSuccess;
}

async function compareWithNix(dir: string): Promise<void> {
  const jobset = JSON.parse(readFileSync(join(dir, 'tally.jobs.json'), 'utf8'));
  writeFileSync(join(dir, 'jobs.nix'), jobsetToNix(jobset));
  const native = await succeed(createNativeEvaluator().evaluate(request(dir, 'tally.jobs.json')));
  for (const job of native.jobs) {
    const drvPath = nix('nix-instantiate', [join(dir, 'jobs.nix'), '-A', job.name], nixEnv)
      .toString()
      .trim();
    assert.is(job.drvPath, drvPath, job.name);
    assert.equal(native.drvFiles.get(drvPath), new Uint8Array(readFileSync(drvPath)), `${job.name} bytes`);
  }
  const viaNix = await succeed(createNixEvaluator().evaluate(request(dir, 'jobs.nix')));
  const byName = <T extends { name: string }>(jobs: readonly T[]) =>
    [...jobs].sort((a, b) => a.name.localeCompare(b.name));
  assert.equal(byName(viaNix.jobs), byName(native.jobs));
  assert.equal([...viaNix.drvFiles.keys()].sort(), [...native.drvFiles.keys()].sort());
  assert.equal([...viaNix.sources.keys()].sort(), [...native.sources.keys()].sort());
}

nixTest(
  contract,
  'the fixture jobset: same .drv paths and bytes as nix-instantiate, same jobs from the nix evaluator',
  withTimeout(60_000, async ({ dir }) => {
    cpSync(fixture, dir, { recursive: true });
    await compareWithNix(dir);
  }),
);

nixTest(
  contract,
  'awkward strings, several outputs, a fixed output and sources: the same as nix',
  withTimeout(60_000, async ({ dir }) => {
    writeFileSync(join(dir, 'tally.jobs.json'), JSON.stringify(awkward));
    writeFileSync(join(dir, 'notes.txt'), 'notes\n');
    cpSync(join(fixture, 'src'), join(dir, 'tree'), { recursive: true });
    await compareWithNix(dir);
  }),
);

contract.run();
reportSkipped();
