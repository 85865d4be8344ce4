/**
 * The node options `tally` runs with are written in two places: the executable's shebang (`npx tally`,
 * a service file running it) and package.json's scripts that start it with `node` (`npm start`). They
 * must not drift apart, and the shebang must work as written.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../', import.meta.url);
const bin = new URL('ops/cli/bin.js', root).pathname;

/** The node options of the shebang `#!/usr/bin/env -S node OPTIONS`. */
async function shebangOptions(): Promise<string[]> {
  const first = (await readFile(bin, 'utf8')).split('\n')[0]!;
  const match = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  assert.ok(match, `unexpected shebang: ${first}`);
  return match[1]!.trim().split(' ').filter(Boolean);
}

test('the shebang gives node the larger young generation', async () => {
  const options = await shebangOptions();
  assert.ok(
    options.some((option) => /^--min-semi-space-size=\d+$/.test(option)),
    `shebang options: ${options.join(' ')}`,
  );
});

test("every package.json script that starts tally's executable with node passes the shebang's options", async () => {
  const options = await shebangOptions();
  const { scripts } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const starting = Object.entries(scripts).filter(([, command]) =>
    /^node .*ops\/(cli\/bin\.js|bench\/run\.ts)/.test(command),
  );
  assert.ok(starting.length >= 3, `scripts that start tally: ${starting.map(([name]) => name).join(', ')}`);
  for (const [name, command] of starting) {
    const before = command.slice(0, command.search(/ops\//)).split(' ').filter(Boolean).slice(1);
    for (const option of options)
      assert.ok(before.includes(option), `npm run ${name} lacks ${option}: ${command}`);
  }
});

test('the executable runs through its shebang', async () => {
  const { version } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
    version: string;
  };
  const { stdout } = await promisify(execFile)(bin, ['--version'], { timeout: 30_000 });
  assert.is(stdout.trim(), version);
});

test.run();
