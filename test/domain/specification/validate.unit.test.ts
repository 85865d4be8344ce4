import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  matchesBranchPattern,
  readSpecification,
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

validate(
  'refuses credentials in channel URLs, too many channels or systems, and control characters in the entry',
  () => {
    const channel = (url: string, name = 'c') => ({ name, url, branch: 'main' });
    for (const url of [
      'https://user:secret@example.org/x.git',
      'https://ghp_token@example.org/x.git',
      'ssh://git:secret@example.org/x.git',
    ])
      assert.equal(pathsOf({ ...minimal, channels: [channel(url)] }), ['channels[0].url'], url);
    const checked = validateSpecification({
      ...minimal,
      channels: [channel('https://u:p@example.org/x.git')],
    });
    assert.match(checked.ok ? '' : checked.issues[0]!.message, /git-credentials/);
    for (const url of [
      'ssh://git@example.org/x.git',
      'git@example.org:x.git',
      'https://example.org/x.git',
      // An @ or a port after the host is no user part.
      'https://example.org/scm/@team/x.git',
      'ssh://example.org:2222/x.git',
    ])
      assert.equal(pathsOf({ ...minimal, channels: [channel(url)] }), [], url);

    const channels = (n: number) => Array.from({ length: n }, (_, i) => channel(`/srv/git/${i}`, `c${i}`));
    assert.equal(pathsOf({ ...minimal, channels: channels(64) }), []);
    assert.equal(pathsOf({ ...minimal, channels: channels(65) }), ['channels']);
    const systems = (n: number) => Array.from({ length: n }, (_, i) => `s${i}-linux`);
    assert.equal(pathsOf({ ...minimal, systems: systems(32) }), []);
    assert.equal(pathsOf({ ...minimal, systems: systems(33) }), ['systems']);
    assert.equal(pathsOf({ ...minimal, evaluator: { kind: 'native', entry: 'tally.jobs.json\u0000x' } }), [
      'evaluator.entry',
    ]);
  },
);

validate('reads a recorded specification without the rules for new ones', () => {
  const recorded = {
    ...minimal,
    channels: [{ name: 'c', url: 'https://u:p@example.org/x.git', branch: 'main' }],
  };
  assert.not.ok(validateSpecification(recorded).ok);
  assert.ok(readSpecification(recorded).ok);
});

validate('refuses build limits past 14 days for a new specification, and reads them recorded', () => {
  const long = { ...minimal, buildLimits: { timeoutSeconds: 3_000_000, maxSilentSeconds: 3_000_000 } };
  assert.equal(pathsOf(long), ['buildLimits.timeoutSeconds', 'buildLimits.maxSilentSeconds']);
  assert.ok(readSpecification(long).ok, 'a recorded specification keeps its limits');
  const twoWeeks = { ...minimal, buildLimits: { timeoutSeconds: 14 * 24 * 3600 } };
  assert.ok(validateSpecification(twoWeeks).ok);
});

validate('accepts polling 0 (never) or at least 10 seconds', () => {
  assert.equal(pathsOf({ ...minimal, pollingPeriodSeconds: 0 }), []);
  assert.equal(pathsOf({ ...minimal, pollingPeriodSeconds: 5 }), ['pollingPeriodSeconds']);
});

validate('takes webhooks to notify, without credentials, at most 8', () => {
  const hook = (url: string) => ({ kind: 'webhook', url });
  const checked = validateSpecification({
    ...minimal,
    notifications: [hook('https://ci.example.org/tally?x=1')],
  });
  assert.ok(checked.ok);
  if (checked.ok) assert.equal(checked.value.notifications, [hook('https://ci.example.org/tally?x=1')]);
  assert.equal(pathsOf({ ...minimal, notifications: [hook('ftp://example.org/')] }), [
    'notifications[0].url',
  ]);
  for (const bad of [
    'https://',
    'http://host:99999/',
    'http://host:abc/',
    'http://[::1',
    'http://exa%zzmple.com/',
  ])
    assert.equal(pathsOf({ ...minimal, notifications: [hook(bad)] }), ['notifications[0].url'], bad);
  assert.equal(pathsOf({ ...minimal, notifications: [{ kind: 'email', url: 'https://a.b/' }] }), [
    'notifications[0].kind',
  ]);
  assert.equal(pathsOf({ ...minimal, notifications: [hook('https://bot:secret@example.org/hook')] }), [
    'notifications[0].url',
  ]);
  assert.equal(pathsOf({ ...minimal, notifications: [hook('https://example.org/user@x')] }), []);
  const many = Array.from({ length: 9 }, (_, i) => hook(`https://example.org/${i}`));
  assert.equal(pathsOf({ ...minimal, notifications: many }), ['notifications']);
  assert.ok(readSpecification({ ...minimal, notifications: many }).ok, 'a recorded spec keeps its targets');
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
