import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuildRequest } from '../../../adapters/builders/builder.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import { hashBytes, makeSourcePath, printHash, printNarHash } from '../../../domain/derivation/index.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, shDrv, type TestDrv } from './derivations.ts';

interface Context {
  root: string;
  store: string;
  cleanup: () => Promise<void>;
}

const inputs = suite<Context>('the native builder with inputs and fixed outputs');

inputs.before.each(async (context) => {
  const dir = await tempDir('tally-native-inputs-');
  context.root = dir.path;
  context.store = join(dir.path, 'store');
  context.cleanup = dir.cleanup;
});
inputs.after.each(async (context) => context.cleanup());

const request = (store: string, drv: TestDrv): BuildRequest => ({
  drvPath: drv.drvPath,
  drv: drv.drv,
  storeDir: store,
  limits: generousLimits,
});

const hello = 'hello\n';

inputs(
  'accepts a fixed output with the declared flat hash',
  withTimeout(20_000, async ({ store }) => {
    const hash = printHash(hashBytes('sha256', hello), 'nix32', true);
    const drv = shDrv(store, { name: 'fetched', script: 'echo hello > $out', env: { outputHash: hash } });
    const result = await createNativeBuilder().build(request(store, drv));
    assert.ok(result.ok, JSON.stringify(result));
  }),
);

inputs(
  'accepts a fixed output with the declared recursive hash',
  withTimeout(20_000, async ({ store, root }) => {
    writeFileSync(join(root, 'sample'), hello);
    const { hash } = await hashPath(join(root, 'sample'));
    const drv = shDrv(store, {
      name: 'fetched-rec',
      script: 'echo hello > $out',
      env: { outputHash: printNarHash(hash), outputHashMode: 'recursive' },
    });
    const result = await createNativeBuilder().build(request(store, drv));
    assert.ok(result.ok, JSON.stringify(result));
  }),
);

inputs(
  'rejects a fixed output whose hash differs from the declared one',
  withTimeout(20_000, async ({ store }) => {
    const hash = printHash(hashBytes('sha256', 'something else'), 'nix32', true);
    const drv = shDrv(store, { name: 'fetched', script: 'echo hello > $out', env: { outputHash: hash } });
    const result = await createNativeBuilder().build(request(store, drv));
    assert.is(result.ok === false && result.reason, 'output-rejected');
    assert.match(
      result.ok === false && result.reason === 'output-rejected' ? result.detail : '',
      /hash mismatch/,
    );
  }),
);

inputs(
  'fails as infrastructure when an input is missing, naming it',
  withTimeout(20_000, async ({ store }) => {
    const source = makeSourcePath('missing.txt', hashBytes('sha256', 'x'), [], store);
    const drv = shDrv(store, {
      name: 'needs',
      script: 'echo > $out',
      env: { src: source },
      inputSrcs: [source],
    });
    const result = await createNativeBuilder().build(request(store, drv));
    assert.is(result.ok === false && result.reason, 'infrastructure');
    assert.ok(result.ok === false && result.reason === 'infrastructure' && result.detail.includes(source));
  }),
);

inputs(
  'asks fetchInput for a missing input and builds once it is there',
  withTimeout(20_000, async ({ store }) => {
    const source = makeSourcePath('fetched.txt', hashBytes('sha256', 'x'), [], store);
    const drv = shDrv(store, {
      name: 'needs',
      script: 'read x < $src; echo $x > $out',
      env: { src: source },
      inputSrcs: [source],
    });
    const asked: string[] = [];
    const builder = createNativeBuilder({
      fetchInput: async (path, storeDir) => {
        asked.push(path);
        mkdirSync(storeDir, { recursive: true });
        writeFileSync(path, 'from a substituter\n');
      },
    });
    const result = await builder.build(request(store, drv));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(asked, [source]);
  }),
);

inputs(
  'fails as infrastructure when fetchInput cannot fetch',
  withTimeout(20_000, async ({ store }) => {
    const source = makeSourcePath('gone.txt', hashBytes('sha256', 'x'), [], store);
    const drv = shDrv(store, {
      name: 'needs',
      script: 'echo > $out',
      env: { src: source },
      inputSrcs: [source],
    });
    const builder = createNativeBuilder({
      fetchInput: async () => {
        throw new Error('no substituter has it');
      },
    });
    const result = await builder.build(request(store, drv));
    assert.is(result.ok === false && result.reason, 'infrastructure');
    assert.match(
      result.ok === false && result.reason === 'infrastructure' ? result.detail : '',
      /no substituter has it/,
    );
  }),
);

inputs(
  'refuses a derivation for another system',
  withTimeout(20_000, async ({ store }) => {
    const drv = shDrv(store, { name: 'arm', script: 'echo > $out', system: 'riscv64-plan9' });
    const result = await createNativeBuilder().build(request(store, drv));
    assert.is(result.ok === false && result.reason, 'infrastructure');
  }),
);

inputs.run();
