import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { missingPlatformEntries } from '../../ops/tools/complete-lockfile.ts';

const test = suite('package-lock.json');

test('holds every platform package npm ci expects (else run `npm run lock:complete`)', () => {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));
  assert.equal(
    [...missingPlatformEntries(lock).keys()],
    [],
    'run `npm run lock:complete` and commit the lock',
  );
});

test('describes a missing platform package as npm would', () => {
  const lock = {
    packages: {
      'node_modules/tool': {
        version: '1.0.0',
        dev: true,
        optionalDependencies: { '@x/cli-darwin-arm64': '1.0.0' },
      },
    },
  };
  assert.equal(Object.fromEntries(missingPlatformEntries(lock)), {
    'node_modules/@x/cli-darwin-arm64': {
      version: '1.0.0',
      dev: true,
      optional: true,
      os: ['darwin'],
      cpu: ['arm64'],
    },
  });
});

test.run();
