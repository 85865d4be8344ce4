import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildRequest, BuildResult } from '../../../adapters/builders/builder.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, shDrv, type TestDrv } from './derivations.ts';
import { sleepers, uniqueSleep, until } from './processes.ts';

interface Context {
  root: string;
  store: string;
  cleanup: () => Promise<void>;
}

function request(store: string, drv: TestDrv, extra: Partial<BuildRequest> = {}): BuildRequest {
  return { drvPath: drv.drvPath, drv: drv.drv, storeDir: store, limits: generousLimits, ...extra };
}

function succeeded(result: BuildResult) {
  if (!result.ok) assert.unreachable(`the build failed: ${JSON.stringify(result)}`);
  return result.ok ? result.outputs : [];
}

const failures: [string, string, Partial<BuildRequest['limits']>, (result: BuildResult) => void][] = [
  [
    'reports the exit code',
    'exit 3',
    {},
    (r) => assert.equal(r, { ok: false, reason: 'exit-code', exitCode: 3 }),
  ],
  [
    'reports a signal',
    'kill -TERM $$',
    {},
    (r) => assert.equal(r, { ok: false, reason: 'signal', signal: 'SIGTERM' }),
  ],
  [
    'stops a build past its time limit',
    'echo x; while :; do echo tick; /bin/sleep 0.05; done',
    { timeoutMs: 400 },
    (r) => assert.equal(r, { ok: false, reason: 'timed-out' }),
  ],
  [
    'stops a build silent for too long',
    'echo start; /bin/sleep 30',
    { maxSilentMs: 300 },
    (r) => assert.equal(r, { ok: false, reason: 'silent-too-long' }),
  ],
  [
    'stops a build that logs too much',
    'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done',
    { maxLogBytes: 100_000 },
    (r) => assert.equal(r, { ok: false, reason: 'log-too-large' }),
  ],
  [
    'rejects a build that does not produce its output',
    'echo nothing',
    {},
    (r) => {
      assert.is(r.ok === false && r.reason, 'output-rejected');
      assert.match(
        r.ok === false && r.reason === 'output-rejected' ? r.detail : '',
        /failed to produce output path for output 'out'/,
      );
    },
  ],
];

// Every behaviour holds with and without a sandbox (`auto` is bwrap where it works).
for (const isolation of ['none', 'auto'] as const) {
  const builds = suite<Context>(`the native builder (isolation: ${isolation})`);

  builds.before.each(async (context) => {
    const dir = await tempDir('tally-native-build-');
    context.root = dir.path;
    context.store = join(dir.path, 'store');
    context.cleanup = dir.cleanup;
  });
  builds.after.each(async (context) => context.cleanup());

  const builder = createNativeBuilder({ cores: 3, isolation });

  builds(
    'builds a small graph and finds the references to inputs and to itself',
    withTimeout(20_000, async ({ store }) => {
      const greeting = shDrv(store, { name: 'greeting', script: 'echo hello > $out' });
      const user = shDrv(store, {
        name: 'user',
        script: '/bin/mkdir $out; echo "$dep" > $out/dep; echo $out > $out/self; /bin/ln -s $dep $out/link',
        env: { dep: greeting.out },
        inputs: [greeting],
      });
      const [first] = succeeded(await builder.build(request(store, greeting)));
      assert.equal(first?.references, []);
      assert.is(readFileSync(greeting.out, 'utf8'), 'hello\n');
      const [second] = succeeded(await builder.build(request(store, user)));
      assert.equal(second?.references, [greeting.out, user.out].sort());
      assert.is(second?.path, user.out);
      assert.match(second?.narHash ?? '', /^sha256:[0-9a-z]{52}$/);
    }),
  );

  builds(
    'reports a builder that cannot be started as an infrastructure failure (retried), not its exit code',
    withTimeout(20_000, async ({ store }) => {
      const made = shDrv(store, { name: 'no-builder', script: 'echo never > $out' });
      const notExecutable = join(store, 'not-executable');
      writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
      for (const builder of [join(store, 'missing-builder'), notExecutable]) {
        const result = await createNativeBuilder({ cores: 1, isolation }).build(
          request(store, { ...made, drv: { ...made.drv, builder } }),
        );
        assert.is(result.ok, false);
        if (result.ok) return;
        assert.is(result.reason, 'infrastructure', `${builder}: ${JSON.stringify(result)}`);
        assert.match(String((result as { detail?: string }).detail), /could not be started/);
      }
    }),
  );

  builds(
    'makes outputs read-only with timestamps of 1',
    withTimeout(20_000, async ({ store }) => {
      const drv = shDrv(store, {
        name: 'tree',
        script: '/bin/mkdir -p $out/bin; echo x > $out/f; echo y > $out/bin/run; /bin/chmod +x $out/bin/run',
      });
      succeeded(await builder.build(request(store, drv)));
      for (const [path, mode] of [
        [drv.out, 0o555],
        [join(drv.out, 'f'), 0o444],
        [join(drv.out, 'bin/run'), 0o555],
      ] as const) {
        const stats = statSync(path);
        assert.is(stats.mode & 0o777, mode, path);
        assert.is(stats.mtimeMs, 1000, path);
      }
    }),
  );

  builds(
    'gives the builder exactly the derivation environment and Nix variables',
    withTimeout(20_000, async ({ store, root }) => {
      const drv = shDrv(store, { name: 'env', script: '/usr/bin/env -0 > $out', env: { custom: 'a b' } });
      succeeded(
        await createNativeBuilder({ cores: 3, buildRoot: root, isolation }).build(request(store, drv)),
      );
      const env = Object.fromEntries(
        readFileSync(drv.out, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const top = env.NIX_BUILD_TOP ?? '';
      assert.ok(top.startsWith(join(root, 'tally-build-env-')), top);
      assert.equal(env, {
        PATH: '/path-not-set',
        HOME: '/homeless-shelter',
        NIX_STORE: store,
        NIX_BUILD_CORES: '3',
        name: 'env',
        system: 'x86_64-linux',
        builder: '/bin/sh',
        custom: 'a b',
        out: drv.out,
        NIX_BUILD_TOP: top,
        TMPDIR: top,
        TEMPDIR: top,
        TMP: top,
        TEMP: top,
        PWD: top,
        NIX_LOG_FD: '2',
        TERM: 'xterm-256color',
      });
      assert.not.ok(existsSync(top), 'the build directory is removed');
    }),
  );

  builds(
    'limits longer than a timer can hold (a specification recorded before they were bounded) let a build run',
    withTimeout(20_000, async ({ store }) => {
      const drv = shDrv(store, { name: 'patient', script: '/bin/sleep 0.3; echo ok > $out' });
      const limits = { ...generousLimits, timeoutMs: 3_000_000_000, maxSilentMs: 3_000_000_000 };
      succeeded(await builder.build(request(store, drv, { limits })));
    }),
  );

  builds(
    'streams the log while the builder runs',
    withTimeout(20_000, async ({ store }) => {
      // The flag is written into the build directory: the one host directory a sandbox shares.
      const drv = shDrv(store, {
        name: 'stream',
        script:
          'echo "first $PWD"; while [ ! -e seen ]; do /bin/sleep 0.05; done; echo second >&2; echo ok > $out',
      });
      let log = '';
      const result = await builder.build(
        request(store, drv, {
          onLog: (chunk) => {
            log += Buffer.from(chunk).toString();
            const top = /^first (.*)\n/.exec(log)?.[1];
            if (top) writeFileSync(join(top, 'seen'), '');
          },
        }),
      );
      succeeded(result);
      assert.match(log, /^first \/.*\nsecond\n$/);
    }),
  );

  for (const [name, script, limits, check] of failures) {
    builds(
      name,
      withTimeout(20_000, async ({ store }) => {
        const drv = shDrv(store, { name: 'failing', script });
        let logged = 0;
        const result = await builder.build(
          request(store, drv, {
            limits: { ...generousLimits, ...limits },
            onLog: (chunk) => {
              logged += chunk.length;
            },
          }),
        );
        check(result);
        assert.ok(
          logged <= (limits.maxLogBytes ?? generousLimits.maxLogBytes),
          `${logged} bytes of log passed on`,
        );
        assert.not.ok(existsSync(drv.out), 'a failed build leaves no output');
      }),
    );
  }

  builds(
    'cancelling kills the whole process group, background children included',
    withTimeout(20_000, async ({ store }) => {
      const duration = uniqueSleep();
      const drv = shDrv(store, {
        name: 'cancel',
        script: `/bin/sleep ${duration} & echo started; /bin/sleep ${duration}`,
      });
      const controller = new AbortController();
      const building = builder.build(
        request(store, drv, {
          signal: controller.signal,
        }),
      );
      await until(() => sleepers(duration).length === 2, 10_000, 'both sleeps to start');
      controller.abort();
      assert.equal(await building, { ok: false, reason: 'cancelled' });
      assert.equal(sleepers(duration), [], 'no sleep still runs');
    }),
  );

  builds(
    'a builder that exits leaves no background child behind',
    withTimeout(20_000, async ({ store }) => {
      const duration = uniqueSleep();
      const drv = shDrv(store, {
        name: 'leaver',
        script: `/bin/sleep ${duration} & while [ ! -e done ]; do /bin/sleep 0.05; done; echo > $out`,
      });
      const building = builder.build(request(store, drv));
      await until(() => sleepers(duration).length === 1, 10_000, 'the background sleep to start');
      // The build directory is the same path inside a sandbox and out.
      const top = readFileSync(`/proc/${sleepers(duration)[0]}/environ`, 'utf8')
        .split('\0')
        .find((line) => line.startsWith('NIX_BUILD_TOP='))
        ?.slice('NIX_BUILD_TOP='.length);
      writeFileSync(join(top ?? '', 'done'), '');
      succeeded(await building);
      assert.equal(sleepers(duration), [], 'the background sleep was killed');
    }),
  );

  builds.run();
}
