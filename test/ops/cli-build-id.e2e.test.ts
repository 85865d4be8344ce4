/**
 * `tally build show|cancel` naming a build by the integer id its JSON shows, through the real `tally`
 * executable against an API listening over HTTP on a real ledger, with the server's read models.
 */
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ApiFixture, startApiFixture } from '../api/api-fixture.ts';
import { drv, queueBuild, streamOf } from '../api/command-seed.ts';
import { tally } from '../helpers/tally-process.ts';
import { withTimeout } from '../helpers/uvu.ts';

interface Context {
  api: ApiFixture;
  url: string;
}

const test = suite<Context>('tally build by integer id');
test.before(async (context) => {
  context.api = await startApiFixture({ readModels: true });
  await context.api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = context.api.app.server.address() as AddressInfo;
  context.url = `http://127.0.0.1:${port}`;
});
test.after(async ({ api }) => api.stop());

test(
  'shows and cancels a build by its integer id, and refuses a key that names no build before asking',
  withTimeout(60_000, async ({ api, url }) => {
    await queueBuild(api.store, drv('b', 'other'));
    const hash = await queueBuild(api.store, drv('a'));
    await api.caughtUp();

    const shown = await tally(['build', 'show', '2', '--api', url, '--json']);
    assert.is(shown.code, 0, shown.stderr);
    const build = JSON.parse(shown.stdout) as { id: number; drvPath: string; status: string };
    assert.equal([build.id, build.drvPath, build.status], [2, drv('a'), 'queued']);

    const cancelled = await tally(['build', 'cancel', '2', '--api', url, '--json'], {
      TALLY_TOKEN: api.token,
    });
    assert.is(cancelled.code, 0, cancelled.stderr);
    assert.equal(JSON.parse(cancelled.stdout).events, ['BuildCancelled']);
    assert.equal(
      (await streamOf(api.store, `build-${hash}`)).map((event) => event.type),
      ['BuildQueued', 'BuildCancelled'],
    );

    const nonsense = await tally(['build', 'cancel', 'hello', '--api', url], { TALLY_TOKEN: api.token });
    assert.is(nonsense.code, 1);
    assert.match(nonsense.stderr, /TALLY_CLI_INVALID_OPTION/);
    assert.match(nonsense.stderr, /integer id/);
  }),
);

test.run();
