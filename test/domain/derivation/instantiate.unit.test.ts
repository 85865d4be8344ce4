import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  derivationPath,
  hashDerivationModulo,
  instantiateDerivation,
  printHash,
} from '../../../domain/derivation/index.ts';
import { fixture, readFixtureDerivation } from './fixtures.ts';

const context = { readDerivation: readFixtureDerivation };

const drvPaths = suite('.drv paths');

drvPaths('equal the paths nix-instantiate wrote', () => {
  for (const name of ['dep', 'fod', 'top']) {
    const { path, drv } = fixture(name);
    assert.is(derivationPath(drv).path, path, name);
  }
});

const modulo = suite('hashDerivationModulo');

modulo('hashes a fixed-output derivation by its declared hash and path only', () => {
  const { drv } = fixture('fod');
  const a = hashDerivationModulo(drv, false, context);
  const changed = { ...drv, builder: '/bin/other', env: new Map([...drv.env, ['extra', 'x']]) };
  const b = hashDerivationModulo(changed, false, context);
  assert.is(
    printHash(a.hashes.get('out')!, 'base16', false),
    printHash(b.hashes.get('out')!, 'base16', false),
  );
});

modulo('changes with the builder of a regular derivation', () => {
  const { drv } = fixture('dep');
  const a = hashDerivationModulo(drv, true, context);
  const b = hashDerivationModulo({ ...drv, builder: '/bin/other' }, true, context);
  assert.not.equal(
    printHash(a.hashes.get('out')!, 'base16', false),
    printHash(b.hashes.get('out')!, 'base16', false),
  );
  assert.is(a.kind, 'regular');
});

modulo('refuses a derivation that depends on itself', () => {
  const { drv, path } = fixture('dep');
  const loop = { ...drv, inputDrvs: new Map([[path, ['out']]]) };
  assert.throws(
    () => hashDerivationModulo(loop, false, { readDerivation: () => loop }),
    (error: Error & { code?: string }) => error.code === 'TALLY_DRV_INVALID',
  );
});

const instantiating = suite('instantiating from attributes');

function attributesOf(name: string) {
  const { drv } = fixture(name);
  const outputs = new Set(drv.outputs.keys());
  return {
    env: new Map([...drv.env].filter(([key]) => !outputs.has(key))),
    args: drv.args,
    inputDrvs: drv.inputDrvs,
    inputSrcs: drv.inputSrcs,
  };
}

instantiating('reproduces nix-instantiate: multiple outputs, a fixed output, inputs of both kinds', () => {
  for (const name of ['dep', 'fod', 'top']) {
    const result = instantiateDerivation(attributesOf(name), context);
    assert.is(result.drvPath, fixture(name).path, name);
    assert.is(result.text, new TextDecoder().decode(fixture(name).bytes), name);
  }
});

instantiating('returns the output paths it filled in', () => {
  const result = instantiateDerivation(attributesOf('dep'), context);
  assert.equal([...result.outputPaths.keys()], ['out', 'dev']);
  assert.match(result.outputPaths.get('dev')!, /-dep-dev$/);
});

instantiating('refuses missing attributes, .drv names and bad outputs with TALLY_DRV_INVALID', () => {
  const base = new Map([
    ['name', 'x'],
    ['system', 's'],
    ['builder', 'b'],
  ]);
  const cases: Array<Array<[string, string]>> = [
    [['name', '']],
    [['builder', '']],
    [['name', 'x.drv']],
    [['outputs', 'out out']],
    [['outputs', 'drv']],
    [['outputs', ' ']],
    [['outputHashMode', 'weird']],
    [
      ['outputHash', 'sha256-47DEQpj8HBSa+/TZIW+izdApvUeXdzGJ/iWJkATgOJY='],
      ['outputs', 'out dev'],
    ],
  ];
  for (const change of cases) {
    assert.throws(
      () => instantiateDerivation({ env: new Map([...base, ...change]) }, context),
      (error: Error & { code?: string }) =>
        ['TALLY_DRV_INVALID', 'TALLY_STORE_PATH_INVALID'].includes(error.code ?? ''),
      JSON.stringify(change),
    );
  }
});

drvPaths.run();
modulo.run();
instantiating.run();
