import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeProblem, parseJobset } from '../../../adapters/evaluators/native/jobset-schema.ts';

const schema = suite('the native jobset schema');

const job = (extra: Record<string, unknown> = {}) => ({
  system: 'x86_64-linux',
  builder: '/bin/sh',
  ...extra,
});

function problems(value: unknown): string[] {
  const parsed = parseJobset(value);
  if (parsed.ok) assert.unreachable('the jobset was accepted');
  return parsed.ok ? [] : parsed.problems.map(describeProblem);
}

function refuses(name: string, value: unknown, expected: RegExp): void {
  schema(name, () => {
    const found = problems(value);
    assert.ok(
      found.some((line) => expected.test(line)),
      `${expected} not in:\n${found.join('\n')}`,
    );
  });
}

schema('accepts a jobset and orders inputs before the jobs that use them', () => {
  const parsed = parseJobset({
    jobs: {
      top: job({ args: ['@{job:mid}', '@{job:base:dev}'], inputs: ['mid', 'base'] }),
      mid: job({ env: { x: '@{job:base}' }, inputs: ['base'] }),
      base: job({ outputs: ['out', 'dev'], env: { src: '@{source:src/a}' }, sources: ['src/a'] }),
    },
  });
  assert.ok(parsed.ok);
  if (parsed.ok)
    assert.equal(
      parsed.jobset.jobs.map((spec) => spec.job),
      ['base', 'mid', 'top'],
    );
});

schema('keeps @@{ as a literal @{', () => {
  const parsed = parseJobset({ jobs: { a: job({ args: ['costs @@{5}'] }) } });
  assert.ok(parsed.ok);
  if (parsed.ok) assert.equal(parsed.jobset.jobs[0]?.args, [['costs @{5}']]);
});

refuses(
  'refuses an unknown field, naming job and field',
  { jobs: { a: job({ colour: 'red' }) } },
  /^job 'a', field 'colour': is not a known field/,
);
refuses('refuses an unknown top-level field', { jobs: {}, extra: 1 }, /field 'extra'/);
refuses(
  'refuses a job without a builder',
  { jobs: { a: { system: 'x' } } },
  /^job 'a', field 'builder': is required/,
);
refuses(
  'refuses a job without a system',
  { jobs: { a: { builder: '/bin/sh' } } },
  /^job 'a', field 'system': is required/,
);
refuses('refuses a job name with a slash', { jobs: { 'a/b': job() } }, /^job 'a\/b': a job name/);
refuses('refuses a job name with a space', { jobs: { 'a b': job() } }, /^job 'a b': a job name/);
refuses(
  'refuses an input that names no job',
  { jobs: { a: job({ args: ['@{job:ghost}'], inputs: ['ghost'] }) } },
  /^job 'a', field 'inputs': 'ghost' names no job/,
);
refuses(
  'refuses a cycle between jobs, naming it',
  { jobs: { a: job({ args: ['@{job:b}'], inputs: ['b'] }), b: job({ args: ['@{job:a}'], inputs: ['a'] }) } },
  /field 'inputs': the jobs depend on each other in a cycle: a → b → a/,
);
refuses(
  'refuses a job that depends on itself',
  { jobs: { a: job({ args: ['@{job:a}'], inputs: ['a'] }) } },
  /cycle: a → a/,
);
refuses(
  'refuses a source that climbs out with ..',
  { jobs: { a: job({ env: { s: '@{source:../x}' }, sources: ['../x'] }) } },
  /^job 'a', field 'sources': '..\/x' leaves the checkout/,
);
refuses(
  'refuses an absolute source',
  { jobs: { a: job({ env: { s: '@{source:/etc}' }, sources: ['/etc'] }) } },
  /field 'sources': '\/etc' is absolute/,
);
refuses(
  'refuses a source path that is not normalised',
  { jobs: { a: job({ env: { s: '@{source:./x}' }, sources: ['./x'] }) } },
  /not normalised/,
);
refuses(
  'refuses a placeholder for an input not declared',
  { jobs: { a: job(), b: job({ args: ['@{job:a}'] }) } },
  /^job 'b', field 'args\[0\]': @\{job:a\} is not listed in 'inputs'/,
);
refuses(
  'refuses a declared input that is never used',
  { jobs: { a: job(), b: job({ inputs: ['a'] }) } },
  /^job 'b', field 'inputs': 'a' is never used/,
);
refuses(
  'refuses a source placeholder not listed',
  { jobs: { a: job({ env: { s: '@{source:x}' } }) } },
  /^job 'a', field 'env.s': @\{source:x\} is not listed/,
);
refuses(
  'refuses an output an input does not have',
  { jobs: { a: job(), b: job({ args: ['@{job:a:dev}'], inputs: ['a'] }) } },
  /job 'a' has no output 'dev'/,
);
refuses(
  'refuses an unknown placeholder',
  { jobs: { a: job({ args: ['@{nope}'] }) } },
  /^job 'a', field 'args\[0\]': unknown placeholder '@\{nope\}'/,
);
refuses(
  'refuses an unterminated placeholder',
  { jobs: { a: job({ args: ['@{job:x'] }) } },
  /unterminated placeholder/,
);
refuses(
  'refuses env entries that shadow fields',
  { jobs: { a: job({ env: { system: 'x' } }) } },
  /field 'env.system'/,
);
refuses(
  'refuses env entries that shadow outputs',
  { jobs: { a: job({ env: { out: 'x' } }) } },
  /field 'env.out'/,
);
refuses(
  'refuses a non-string env value',
  { jobs: { a: job({ env: { n: 3 } }) } },
  /^job 'a', field 'env.n': must be a string/,
);
refuses(
  'refuses args that are not a list',
  { jobs: { a: job({ args: 'x' }) } },
  /field 'args': must be a list/,
);
refuses(
  'refuses a derivation name Nix would refuse',
  { jobs: { a: job({ name: 'has space' }) } },
  /^job 'a', field 'name'/,
);
refuses(
  'refuses an output named drv',
  { jobs: { a: job({ outputs: ['drv'] }) } },
  /'drv' is not a valid output name/,
);
refuses('refuses a jobset that is not an object', [], /a jobset is a JSON object/);
refuses('refuses jobs that are not an object', { jobs: [] }, /field 'jobs'/);

schema('reports every problem, not just the first', () => {
  assert.ok(problems({ jobs: { a: { colour: 1 }, 'b c': job() } }).length >= 4);
});

schema.run();
