import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildRequest, BuildResult } from '../../../adapters/builders/builder.ts';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { removeTree } from '../../../adapters/builders/native/remove-tree.ts';
import { hashBytes, printHash } from '../../../domain/derivation/index.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, shDrv, type TestDrv } from './derivations.ts';
import { sleepers, uniqueSleep, until } from './processes.ts';

interface Context {
  root: string;
  store: string;
  cleanup: () => Promise<void>;
}

const bwrap = await detectBubblewrap();
if (!bwrap.usable) console.log(`SKIPPED: the bwrap isolation tests, as bwrap cannot run here: ${bwrap.why}`);

const sandbox = suite<Context>('the native builder isolated with bwrap');
const test = bwrap.usable ? sandbox : sandbox.skip;

sandbox.before.each(async (context) => {
  const dir = await tempDir('tally-bwrap-build-');
  context.root = dir.path;
  context.store = join(dir.path, 'store');
  context.cleanup = dir.cleanup;
});
sandbox.after.each(async (context) => context.cleanup());

const isolated = createNativeBuilder({ cores: 2, isolation: 'bwrap' });
const open = createNativeBuilder({ cores: 2, isolation: 'none' });

function request(store: string, drv: TestDrv, extra: Partial<BuildRequest> = {}): BuildRequest {
  return { drvPath: drv.drvPath, drv: drv.drv, storeDir: store, limits: generousLimits, ...extra };
}

function succeeded(result: BuildResult) {
  if (!result.ok) assert.unreachable(`the build failed: ${JSON.stringify(result)}`);
  return result.ok ? result.outputs : [];
}

test(
  'builds a small graph to the same NAR hashes and references as without isolation',
  withTimeout(20_000, async ({ store }) => {
    const greeting = shDrv(store, { name: 'greeting', script: 'echo hello > $out' });
    const tree = shDrv(store, {
      name: 'tree',
      script: [
        '/bin/mkdir -p $out/bin',
        '/bin/cat $dep > $out/greeting',
        'echo "#!/bin/sh" > $out/bin/run; /bin/chmod +x $out/bin/run',
        'echo $out > $out/self; /bin/ln -s $dep $out/link',
      ].join('; '),
      env: { dep: greeting.out },
      inputs: [greeting],
    });
    const builtWith = async (builder: typeof open) => {
      const outputs = [
        ...succeeded(await builder.build(request(store, greeting))),
        ...succeeded(await builder.build(request(store, tree))),
      ];
      const hello = readFileSync(join(tree.out, 'greeting'), 'utf8');
      for (const path of [greeting.out, tree.out]) await removeTree(path);
      return { outputs, hello };
    };
    const plain = await builtWith(open);
    const sandboxed = await builtWith(isolated);
    assert.is(sandboxed.hello, 'hello\n');
    assert.equal(sandboxed.outputs, plain.outputs);
    assert.equal(sandboxed.outputs[1]?.references, [greeting.out, tree.out].sort());
    assert.equal(
      readdirSync(store).sort(),
      [greeting.drvPath, tree.drvPath].map((p) => p.slice(store.length + 1)).sort(),
    );
  }),
);

function environmentOf(path: string, top: string): Record<string, string> {
  const entries = readFileSync(path, 'utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1).replaceAll(top, '<top>'),
    ]);
  return Object.fromEntries(entries);
}

test(
  'gives the builder the same environment as without isolation',
  withTimeout(20_000, async ({ store, root }) => {
    const drv = shDrv(store, { name: 'env', script: '/usr/bin/env -0 > $out', env: { custom: 'a b' } });
    const seen: Record<string, string>[] = [];
    for (const isolation of ['none', 'bwrap'] as const) {
      const builder = createNativeBuilder({ cores: 2, buildRoot: root, isolation });
      succeeded(await builder.build(request(store, drv)));
      const top = /\0NIX_BUILD_TOP=([^\0]*)/.exec(readFileSync(drv.out, 'utf8'))?.[1] ?? '';
      assert.ok(top.startsWith(join(root, 'tally-build-env-')), top);
      seen.push(environmentOf(drv.out, top));
      await removeTree(drv.out);
    }
    assert.equal(seen[1], seen[0]);
    assert.is(seen[1]?.HOME, '/homeless-shelter');
  }),
);

/** A script that tries each write and prints `<name>: written` or `<name>: refused`. */
function tryWrites(targets: Record<string, string>): string {
  return Object.entries(targets)
    .map(
      ([name, command]) =>
        `if ${command} 2>/dev/null; then echo "${name}: written"; else echo "${name}: refused"; fi`,
    )
    .join('\n');
}

test(
  'lets the builder write only its outputs and build directory',
  withTimeout(20_000, async ({ store, root }) => {
    const input = shDrv(store, { name: 'input', script: '/bin/mkdir $out; echo in > $out/file' });
    succeeded(await isolated.build(request(store, input)));
    const targets = {
      'build directory': 'echo x > $NIX_BUILD_TOP/scratch',
      'a host directory': `echo x > ${root}/stray`,
      '/tmp': 'echo x > /tmp/tally-stray',
      root: 'echo x > /stray',
      'an input': `echo x > ${input.out}/stray`,
      'the home directory': '/bin/mkdir /homeless-shelter',
      '/usr': 'echo x > /usr/tally-stray',
    };
    const drv = shDrv(store, {
      name: 'writer',
      script: `{ ${tryWrites(targets)}\n[ -e /homeless-shelter ] && echo "home exists"; } > $NIX_BUILD_TOP/report; echo x > $NIX_STORE/stray; /bin/cp $NIX_BUILD_TOP/report $out`,
      inputs: [input],
    });
    succeeded(await isolated.build(request(store, drv)));
    assert.equal(readFileSync(drv.out, 'utf8').trim().split('\n'), [
      'build directory: written',
      ...Object.keys(targets)
        .slice(1)
        .map((name) => `${name}: refused`),
    ]);
    for (const path of [
      join(root, 'stray'),
      '/tmp/tally-stray',
      '/stray',
      join(input.out, 'stray'),
      '/homeless-shelter',
    ]) {
      assert.not.ok(existsSync(path), `${path} was written`);
    }
    assert.not.ok(
      existsSync(join(store, 'stray')),
      'a file the builder left in the store directory was kept',
    );
    assert.ok(
      readdirSync(store).every((name) => !name.startsWith('.tally-isolated-')),
      'the staging directory was removed',
    );
    // Without isolation the same host directory is writable: the check above can fail.
    const open_ = shDrv(store, {
      name: 'open-writer',
      script: `${tryWrites({ host: `echo x > ${root}/stray` })} > $out`,
    });
    succeeded(await open.build(request(store, open_)));
    assert.is(readFileSync(open_.out, 'utf8'), 'host: written\n');
  }),
);

test(
  'lets the builder read only the store paths of its input closure',
  withTimeout(20_000, async ({ store }) => {
    const secret = shDrv(store, { name: 'secret', script: 'echo s3cret > $out' });
    const library = shDrv(store, { name: 'library', script: 'echo lib > $out' });
    const input = shDrv(store, { name: 'input', script: 'echo in > $out' });
    for (const drv of [secret, library, input]) succeeded(await isolated.build(request(store, drv)));
    const script =
      '{ /bin/cat $secret || echo unreadable; /bin/cat $library || echo unreadable; /bin/ls $NIX_STORE; } > $out 2>/dev/null';
    const reader = shDrv(store, {
      name: 'reader',
      script,
      env: { secret: secret.out, library: library.out },
      inputs: [input],
    });
    // `library` is in the closure the worker computed (an input's reference); `secret` is not.
    succeeded(await isolated.build(request(store, reader, { inputClosure: [input.out, library.out] })));
    const base = (path: string) => path.slice(store.length + 1);
    assert.equal(readFileSync(reader.out, 'utf8').split('\n'), [
      'unreadable',
      'lib',
      ...[input.out, library.out, reader.out].map(base).sort(),
      '',
    ]);
    await removeTree(reader.out);
    succeeded(await open.build(request(store, reader)));
    assert.match(readFileSync(reader.out, 'utf8'), /^s3cret\n/, 'without isolation the secret is readable');
  }),
);

/** A listener on 127.0.0.1 that counts the connections it accepts. */
async function listener(): Promise<{ port: number; accepted: () => number; close: () => void }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, accepted: () => accepted, close: () => server.close() };
}

test(
  'gives the builder no network, unless the derivation is fixed-output',
  withTimeout(20_000, async ({ store }) => {
    const server = await listener();
    try {
      const connect = `if /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.port}' 2>/dev/null; then echo connected; else echo refused; fi`;
      const contents = 'fixed\n';
      const drvs = {
        plain: shDrv(store, { name: 'net', script: `${connect} > $out` }),
        fixed: shDrv(store, {
          name: 'net-fixed',
          script: `${connect} >&2; echo fixed > $out`,
          env: { outputHash: printHash(hashBytes('sha256', contents), 'nix32', true) },
        }),
      };
      let log = '';
      const onLog = (chunk: Uint8Array) => {
        log += Buffer.from(chunk).toString();
      };
      succeeded(await isolated.build(request(store, drvs.plain)));
      assert.is(readFileSync(drvs.plain.out, 'utf8'), 'refused\n');
      assert.is(server.accepted(), 0);
      succeeded(await isolated.build(request(store, drvs.fixed, { onLog })));
      assert.is(log, 'connected\n');
      await until(() => server.accepted() === 1, 5_000, 'the fixed-output connection');
      await removeTree(drvs.plain.out);
      succeeded(await open.build(request(store, drvs.plain)));
      assert.is(
        readFileSync(drvs.plain.out, 'utf8'),
        'connected\n',
        'without isolation the listener is reached',
      );
    } finally {
      server.close();
    }
  }),
);

test(
  'kills every process of a build past its time limit',
  withTimeout(20_000, async ({ store }) => {
    const duration = uniqueSleep();
    const drv = shDrv(store, {
      name: 'slow',
      script: `/bin/sleep ${duration} & (/bin/sleep ${duration}) & echo started; /bin/sleep ${duration}`,
    });
    const building = isolated.build(request(store, drv, { limits: { ...generousLimits, timeoutMs: 3_000 } }));
    await until(() => sleepers(duration).length === 3, 2_500, 'the three sleeps to start');
    assert.equal(await building, { ok: false, reason: 'timed-out' });
    assert.equal(sleepers(duration), [], 'no sleep outlives the build');
    assert.not.ok(existsSync(drv.out));
  }),
);

test(
  "isolates under 'auto' where bwrap works, and says so once in the log",
  withTimeout(20_000, async ({ store }) => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const builder = createNativeBuilder({ isolation: 'auto', logger });
    const other = shDrv(store, { name: 'other', script: 'echo other > $out' });
    succeeded(await builder.build(request(store, other)));
    const lister = shDrv(store, { name: 'lister', script: '/bin/ls $NIX_STORE > $out' });
    succeeded(await builder.build(request(store, lister)));
    assert.is(readFileSync(lister.out, 'utf8'), `${lister.out.slice(store.length + 1)}\n`);
    assert.equal(
      lines.map((line) => line.msg),
      ['builds are isolated with bwrap'],
    );
  }),
);

sandbox.run();
