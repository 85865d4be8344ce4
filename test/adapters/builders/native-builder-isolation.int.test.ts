import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildRequest } from '../../../adapters/builders/builder.ts';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, shDrv, type TestDrv } from './derivations.ts';

interface Context {
  root: string;
  store: string;
  /** A stand-in for bwrap in a container without user namespaces: it knows its version, and refuses. */
  refusingBwrap: string;
  cleanup: () => Promise<void>;
}

const modes = suite<Context>('choosing whether native builds are isolated');

modes.before.each(async (context) => {
  const dir = await tempDir('tally-isolation-');
  context.root = dir.path;
  context.store = join(dir.path, 'store');
  context.refusingBwrap = join(dir.path, 'bwrap');
  writeFileSync(
    context.refusingBwrap,
    '#!/bin/sh\n[ "$1" = --version ] && { echo "bubblewrap 0.8.0"; exit 0; }\n' +
      'echo "bwrap: No permissions to create new namespace" >&2; exit 1\n',
  );
  chmodSync(context.refusingBwrap, 0o755);
  context.cleanup = dir.cleanup;
});
modes.after.each(async (context) => context.cleanup());

function request(store: string, drv: TestDrv): BuildRequest {
  return { drvPath: drv.drvPath, drv: drv.drv, storeDir: store, limits: generousLimits };
}

/** A pino logger whose lines are kept. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

modes(
  'finds no bwrap where none is on the PATH',
  withTimeout(10_000, async ({ root }) => {
    const found = await detectBubblewrap({ searchPath: join(root, 'no-such-dir') });
    assert.equal(found, { usable: false, why: 'bwrap is not installed (not found on PATH)' });
  }),
);

modes(
  'finds a bwrap that refuses its trial sandbox unusable, and says why',
  withTimeout(10_000, async ({ refusingBwrap }) => {
    const found = await detectBubblewrap({ path: refusingBwrap });
    assert.is(found.usable, false);
    assert.match(
      found.usable ? '' : found.why,
      /trial sandbox failed: bwrap: No permissions to create new namespace/,
    );
  }),
);

modes(
  "fails every build as infrastructure when 'bwrap' is required and cannot run",
  withTimeout(10_000, async ({ store, refusingBwrap }) => {
    const drv = shDrv(store, { name: 'strict', script: 'echo ran > $out' });
    const builder = createNativeBuilder({ isolation: 'bwrap', bwrapPath: refusingBwrap });
    const result = await builder.build(request(store, drv));
    assert.is(result.ok, false);
    assert.is(!result.ok && result.reason, 'infrastructure');
    assert.match(
      !result.ok && result.reason === 'infrastructure' ? result.detail : '',
      /^TALLY_BUILD_ISOLATION_UNAVAILABLE: .*No permissions.*install bubblewrap/,
    );
    assert.not.ok(existsSync(drv.out), 'the builder did not run');
  }),
);

modes(
  "builds without isolation under 'auto' when bwrap cannot run, and logs why once",
  withTimeout(10_000, async ({ store, refusingBwrap }) => {
    const { logger, lines } = capturedLogger();
    const builder = createNativeBuilder({ isolation: 'auto', bwrapPath: refusingBwrap, logger });
    for (const name of ['first', 'second']) {
      const drv = shDrv(store, { name, script: 'echo ran > $out' });
      const result = await builder.build(request(store, drv));
      assert.ok(result.ok, JSON.stringify(result));
      assert.is(readFileSync(drv.out, 'utf8'), 'ran\n');
    }
    assert.is(lines.length, 1, JSON.stringify(lines));
    assert.is(lines[0]?.msg, 'builds run without isolation');
    assert.match(String(lines[0]?.why), /No permissions to create new namespace/);
  }),
);

modes(
  "never looks for bwrap under 'none'",
  withTimeout(10_000, async ({ store, root }) => {
    const { logger, lines } = capturedLogger();
    const builder = createNativeBuilder({ isolation: 'none', bwrapPath: join(root, 'missing'), logger });
    const drv = shDrv(store, { name: 'plain', script: 'echo ran > $out' });
    assert.ok((await builder.build(request(store, drv))).ok);
    assert.equal(lines, []);
  }),
);

modes.run();
