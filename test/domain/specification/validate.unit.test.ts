import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  matchesBranchPattern,
  specificationDefaults,
  validateSpecification,
} from '../../../domain/specification/index.ts';

const minimal = {
  name: 'nixpkgs-wip',
  channels: [{ name: 'nixpkgs', url: 'https://github.com/NixOS/nixpkgs.git', branchPattern: 'wip-*' }],
  evaluator: { kind: 'nix', entry: 'pkgs/top-level/release.nix' },
  systems: ['x86_64-linux'],
};

function pathsOf(input: unknown): string[] {
  const checked = validateSpecification(input);
  return checked.ok ? [] : checked.issues.map((issue) => issue.path);
}

const validate = suite('validateSpecification');

validate('fills the defaults of a minimal specification', () => {
  const checked = validateSpecification(minimal);
  assert.ok(checked.ok);
  if (!checked.ok) return;
  assert.equal(checked.value, { ...minimal, ...specificationDefaults });
});

validate('names the path of each bad field', () => {
  const input = {
    ...minimal,
    name: 'has space',
    channels: [
      { name: 'a', url: 'https://example.org/a.git', branch: 'main' },
      { name: 'b', url: 'not a url', branch: 'ma..in' },
      { name: 'a', url: '/srv/git/c', branch: 'main', branchPattern: 'x-*' },
    ],
    systems: ['x86_64-linux', 'x86 64'],
    priority: 1.5,
    buildLimits: { timeoutSeconds: 0 },
    colour: 'blue',
  };
  assert.equal(pathsOf(input), [
    'name',
    'channels[1].url',
    'channels[1].branch',
    'channels[2]',
    'systems[1]',
    'priority',
    'buildLimits.timeoutSeconds',
    'colour',
  ]);
});

validate('refuses duplicates and contradictory limits', () => {
  const input = {
    ...minimal,
    channels: [minimal.channels[0], { ...minimal.channels[0] }],
    systems: ['x86_64-linux', 'x86_64-linux'],
    buildLimits: { timeoutSeconds: 60, maxSilentSeconds: 120 },
  };
  assert.equal(pathsOf(input), ['channels[1].name', 'systems[1]', 'buildLimits.maxSilentSeconds']);
});

validate('refuses entries that climb out of the channel, and non-objects', () => {
  assert.equal(pathsOf({ ...minimal, evaluator: { kind: 'nix', entry: '../etc/passwd' } }), ['evaluator']);
  assert.equal(pathsOf({ ...minimal, evaluator: { kind: 'make', entry: 'x' } }), ['evaluator.kind']);
  assert.equal(pathsOf(null), ['']);
  assert.equal(pathsOf({}), ['name', 'channels', 'evaluator', 'systems']);
});

validate('accepts polling 0 (never) or at least 10 seconds', () => {
  assert.equal(pathsOf({ ...minimal, pollingPeriodSeconds: 0 }), []);
  assert.equal(pathsOf({ ...minimal, pollingPeriodSeconds: 5 }), ['pollingPeriodSeconds']);
});

const patterns = suite('branch patterns');

patterns('match within one path segment', () => {
  assert.ok(matchesBranchPattern('wip-*', 'wip-rust'));
  assert.not.ok(matchesBranchPattern('wip-*', 'wip-a/b'));
  assert.not.ok(matchesBranchPattern('wip-*', 'master'));
  assert.ok(matchesBranchPattern('release-2?.*', 'release-2?.05'));
});

validate.run();
patterns.run();
