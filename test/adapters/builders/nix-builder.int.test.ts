/**
 * The nix builder's failures, each read from the real `nix-store --realise`, and its cancel: the
 * builder nix started (in a session of its own, as a build user) must be gone with its children.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildLimits, BuildRequest, BuildResult } from '../../../adapters/builders/builder.ts';
import { createNixBuilder } from '../../../adapters/builders/nix/nix-builder.ts';
import { hashBytes, printHash } from '../../../domain/derivation/index.ts';
import { nix, nixEnv, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, readDrv } from './derivations.ts';
import { until } from './processes.ts';

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

const failures = suite<Context>('the nix builder');

failures.before(async (context) => {
  const dir = await tempDir('tally-nix-builder-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
failures.after(async (context) => context.cleanup?.());

/** Instantiates `/bin/sh -c script` with a fresh nonce and returns the build request. */
function shRequest(
  dir: string,
  script: string,
  extraAttrs = '',
  limits: Partial<BuildLimits> = {},
): BuildRequest {
  const file = join(dir, `${randomUUID()}.nix`);
  writeFileSync(
    file,
    `derivation { name = "t"; nonce = "${randomUUID()}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script)} ]; ${extraAttrs} }`,
  );
  const path = nix('nix-instantiate', [file], nixEnv).toString().trim();
  return {
    drvPath: path,
    drv: readDrv(path, new Uint8Array(readFileSync(path))),
    storeDir: '/nix/store',
    limits: { ...generousLimits, ...limits },
  };
}

const reasonOf = (result: BuildResult) => (result.ok ? 'ok' : result.reason);
const builder = createNixBuilder({ marginMs: 3000 });

const cases: [string, string, string, Partial<BuildLimits>, (result: BuildResult) => void][] = [
  [
    'reports the exit code',
    'exit 3',
    '',
    {},
    (r) => assert.equal(r, { ok: false, reason: 'exit-code', exitCode: 3 }),
  ],
  [
    'reports a signal',
    'kill -TERM $$',
    '',
    {},
    (r) => assert.equal(r, { ok: false, reason: 'signal', signal: 'SIGTERM' }),
  ],
  ['rejects a missing output', 'echo nothing', '', {}, (r) => assert.is(reasonOf(r), 'output-rejected')],
  [
    'rejects a fixed output with the wrong hash',
    'echo bye > $out',
    `outputHash = "${printHash(hashBytes('sha256', 'hello\n'), 'nix32', true)}";`,
    {},
    (r) => assert.is(reasonOf(r), 'output-rejected'),
  ],
  [
    'stops a build past its time limit',
    'while :; do echo x; /bin/sleep 0.1; done',
    '',
    { timeoutMs: 1000 },
    (r) => assert.is(reasonOf(r), 'timed-out'),
  ],
  [
    'stops a silent build',
    'echo start; /bin/sleep 30',
    '',
    { maxSilentMs: 1000 },
    (r) => assert.is(reasonOf(r), 'silent-too-long'),
  ],
  [
    'stops a build that logs too much',
    'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done',
    '',
    { maxLogBytes: 100_000 },
    (r) => assert.is(reasonOf(r), 'log-too-large'),
  ],
];

for (const [name, script, attrs, limits, check] of cases) {
  nixTest(
    failures,
    name,
    withTimeout(60_000, async ({ dir }) => check(await builder.build(shRequest(dir, script, attrs, limits)))),
  );
}

nixTest(
  failures,
  'streams the log and reads the outputs from nix',
  withTimeout(60_000, async ({ dir }) => {
    let log = '';
    const request = shRequest(dir, 'echo building; echo done > $out');
    const result = await builder.build({
      ...request,
      onLog: (chunk) => {
        log += Buffer.from(chunk).toString();
      },
    });
    assert.ok(result.ok, JSON.stringify(result));
    assert.match(log, /^building$/m);
    assert.is(result.ok && result.outputs[0]?.narSize, 120);
  }),
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

nixTest(
  failures,
  'cancelling stops nix and the builder with its background children',
  withTimeout(60_000, async ({ dir }) => {
    const controller = new AbortController();
    let pids: number[] = [];
    const request = shRequest(dir, '/bin/sleep 1000 & echo "pids $$ $!"; /bin/sleep 1000');
    const result = await builder.build({
      ...request,
      signal: controller.signal,
      onLog: (chunk) => {
        const match = /pids (\d+) (\d+)/.exec(Buffer.from(chunk).toString());
        if (match) {
          pids = [Number(match[1]), Number(match[2])];
          controller.abort();
        }
      },
    });
    assert.equal(result, { ok: false, reason: 'cancelled' });
    assert.is(pids.length, 2);
    // nix-store SIGKILLs the builder's process group and exits without waiting for the builder's
    // background children to die: under load one may still be dying a moment after the build answered.
    for (const pid of pids) await until(() => !alive(pid), 2000, `${pid} to end within 2 s of the cancel`);
  }),
);

nixTest(
  failures,
  "builds as the worker's user when nix's build users' group does not exist, and says so once",
  withTimeout(60_000, async ({ dir }) => {
    const warnings: unknown[] = [];
    const fresh = createNixBuilder({ logger: { warn: (...args: unknown[]) => warnings.push(args) } });
    const configured = process.env.NIX_CONFIG;
    // Read by the nix-store the builder starts: a group no machine has.
    process.env.NIX_CONFIG = `${configured ?? ''}\nbuild-users-group = tally-no-such-group`;
    try {
      for (const word of ['first', 'second']) {
        const result = await fresh.build(shRequest(dir, `echo ${word} > $out`));
        assert.ok(result.ok, JSON.stringify(result));
      }
    } finally {
      if (configured === undefined) delete process.env.NIX_CONFIG;
      else process.env.NIX_CONFIG = configured;
    }
    assert.is(warnings.length, 1, 'told once, not per build');
    assert.equal((warnings[0] as [{ group: string }])[0], { group: 'tally-no-such-group' });

    // An explicit choice of group is the operator's: no fallback.
    const strict = createNixBuilder({ nixOptions: { 'build-users-group': 'tally-no-such-group' } });
    const refused = await strict.build(shRequest(dir, 'echo never > $out'));
    assert.ok(!refused.ok && refused.reason === 'infrastructure', JSON.stringify(refused));
    assert.match(refused.detail, /build-users-group/);
  }),
);

failures.run();
reportSkipped();
