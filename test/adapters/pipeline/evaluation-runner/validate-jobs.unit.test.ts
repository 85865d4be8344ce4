import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateJobs } from '../../../../adapters/pipeline/evaluation-runner/validate-jobs.ts';

const test = suite('validating what an evaluator answered');

const storeDir = '/nix/store';
const named = (name: string) => ({
  name,
  system: 'x86_64-linux',
  drvPath: `${storeDir}/${'a'.repeat(32)}-x.drv`,
  outputs: {},
});
const refusal = (name: string) => {
  const checked = validateJobs([named(name)], new Map(), storeDir, ['x86_64-linux']);
  return checked.ok ? undefined : checked.message;
};

test('refuses job names a URL would climb out of, or that carry control characters', () => {
  for (const name of ['.', '..', 'evil\u001b[31mred', 'nul\u0000', 'tab\there', 'a/b', 'two words', '']) {
    const message = refusal(name);
    assert.ok(message?.includes('a job name has no spaces'), `${JSON.stringify(name)}: ${message}`);
    assert.not.ok(/\p{Cc}/u.test(message ?? ''), 'the refusal quotes the name, escaped');
  }
});

test('takes dotted and long names up to 200 characters to the next checks', () => {
  for (const name of ['hello.x86_64-linux', '.hidden', '...', 'x'.repeat(200)]) {
    const message = refusal(name);
    assert.not.ok(message?.includes('a job name'), `${name}: ${message}`);
  }
  assert.ok(refusal('x'.repeat(201))?.includes('a job name'));
});

test.run();
