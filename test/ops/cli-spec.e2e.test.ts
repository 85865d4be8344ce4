/**
 * The user-facing commands against a real `tally serve`: `spec add/update/list/show/rm` and `history`,
 * acting with the admin token printed at first start, and refused without it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFarm } from '../helpers/farm.ts';
import { finished, lineMatching, startTally, tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('tally spec and tally history');

const spec = {
  name: 'demo',
  channels: [{ name: 'main', url: 'https://example.org/demo.git', branch: 'main' }],
  evaluator: { kind: 'nix', entry: 'release.nix' },
  systems: ['x86_64-linux'],
};

test(
  'registers, lists, shows and removes a specification, and prints its history with the token user as actor',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-cli-spec-');
    const child = startTally(['serve', '--data', dir.path, '--ledger-port', '0', '--port', '0']);
    const done = finished(child);
    const token = new Promise<string>((resolve) => {
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
        const match = /admin token: (\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
    });
    try {
      const started = await lineMatching(child, (line) => line.includes('tally server started'));
      const { api } = JSON.parse(started) as { api: string };
      const env = { TALLY_TOKEN: await token };
      const file = join(dir.path, 'demo.json');
      await writeFile(file, JSON.stringify(spec));

      const refused = await tally(['spec', 'add', file, '--api', api]);
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /TALLY_AUTH_MISSING_TOKEN/);
      assert.match(refused.stderr, /TALLY_TOKEN/);

      const invalid = join(dir.path, 'invalid.json');
      await writeFile(invalid, JSON.stringify({ ...spec, name: 'bad', systems: [] }));
      const rejected = await tally(['spec', 'add', invalid, '--api', api], env);
      assert.is(rejected.code, 1);
      assert.match(rejected.stderr, /TALLY_SPEC_INVALID/);
      assert.match(rejected.stderr, /systems/);

      const added = await tally(['spec', 'add', file, '--api', api, '--json'], env);
      assert.is(added.code, 0, added.stderr);
      assert.equal(JSON.parse(added.stdout).events, ['SpecificationRegistered']);

      const listed = await tally(['spec', 'list', '--api', api, '--json']);
      assert.is(listed.code, 0, listed.stderr);
      assert.equal(
        JSON.parse(listed.stdout).map((entry: { name: string }) => entry.name),
        ['demo'],
      );
      // Without --api, the server serving --data is found (it listens on a port of its own choosing).
      const byData = await tally(['spec', 'list', '--data', dir.path, '--json']);
      assert.is(byData.code, 0, byData.stderr);
      // The same list, names compared: the server's first poll of the spec (its host does not resolve
      // here) may record a failure between the two reads.
      assert.equal(
        JSON.parse(byData.stdout).map((entry: { name: string }) => entry.name),
        ['demo'],
      );
      const shown = await tally(['spec', 'show', 'demo', '--api', api]);
      assert.is(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /demo\tactive/);
      assert.match(shown.stdout, /release\.nix/);

      const removed = await tally(['spec', 'rm', 'demo', '--api', api], env);
      assert.is(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /SpecificationRemoved/);
      const missing = await tally(['spec', 'show', 'demo', '--api', api]);
      assert.is(missing.code, 1);
      assert.match(missing.stderr, /TALLY_SPEC_NOT_FOUND/);

      const history = await tally(['history', 'spec', 'demo', '--api', api, '--json']);
      assert.is(history.code, 0, history.stderr);
      const events = JSON.parse(history.stdout) as { type: string; metadata: { actor: string } }[];
      assert.equal(
        events.map((event) => [event.type, event.metadata.actor]),
        [
          ['SpecificationRegistered', 'user:admin'],
          ['SpecificationRemoved', 'user:admin'],
        ],
      );
      const human = await tally(['history', 'spec', 'demo', '--api', api]);
      assert.match(human.stdout, /spec-demo@1 {2}SpecificationRemoved {2}\(\d+\) {2}user:admin/);
    } finally {
      child.kill('SIGTERM');
      await done;
      await dir.cleanup();
    }
  }),
);

test(
  "replaces a specification's settings, says when nothing changed, and refuses a stale revision, an unknown name and no token",
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-cli-spec-');
    const farm = await startFarm(dir.path);
    try {
      const { api } = farm;
      const env = { TALLY_TOKEN: farm.token! };
      const file = join(dir.path, 'demo.json');
      await writeFile(file, JSON.stringify(spec));
      assert.is((await tally(['spec', 'add', file, '--api', api], env)).code, 0);
      const changed = join(dir.path, 'changed.json');
      await writeFile(
        changed,
        JSON.stringify({ ...spec, evaluator: { kind: 'nix', entry: 'ci.nix' }, systems: ['aarch64-linux'] }),
      );

      const refused = await tally(['spec', 'update', 'demo', changed, '--api', api]);
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /TALLY_AUTH_MISSING_TOKEN/);

      const updated = await tally(['spec', 'update', 'demo', changed, '--api', api, '--json'], env);
      assert.is(updated.code, 0, updated.stderr);
      const result = JSON.parse(updated.stdout) as { stream: string; revision: number; events: string[] };
      assert.equal(
        [result.stream, result.revision, result.events],
        ['spec-demo', 1, ['SpecificationUpdated']],
      );
      const shown = await tally(['spec', 'show', 'demo', '--api', api, '--json']);
      assert.is(shown.code, 0, shown.stderr);
      const { definition } = JSON.parse(shown.stdout).spec as { definition: typeof spec };
      assert.equal(definition.evaluator, { kind: 'nix', entry: 'ci.nix' });
      assert.equal(definition.systems, ['aarch64-linux']);

      const again = await tally(['spec', 'update', 'demo', changed, '--api', api], env);
      assert.is(again.code, 0, again.stderr);
      assert.match(again.stdout, /updated demo: nothing to change \(spec-demo stays at revision 1\)/);

      // The revision to send is the one `spec show` prints, which is the ETag of the API's answer.
      const human = await tally(['spec', 'show', 'demo', '--api', api]);
      assert.match(human.stdout, /^revision 1 \(to change it only if nobody has since: --if-match 1\)$/m);
      const etagOfRead = (await fetch(`${api}/api/specs/demo`)).headers.get('etag');
      assert.is(etagOfRead, '"1"');

      const stale = await tally(['spec', 'update', 'demo', file, '--if-match', '0', '--api', api], env);
      assert.is(stale.code, 1);
      assert.match(stale.stderr, /TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION/);
      const current = await tally(['spec', 'update', 'demo', file, '--if-match', '1', '--api', api], env);
      assert.is(current.code, 0, current.stderr);
      assert.match(current.stdout, /updated demo: SpecificationUpdated \(spec-demo revision 2\)/);
      // The ETag as the API sends it is taken as well.
      const etag = await tally(['spec', 'update', 'demo', changed, '--if-match', 'W/"2"', '--api', api], env);
      assert.is(etag.code, 0, etag.stderr);
      assert.match(etag.stdout, /\(spec-demo revision 3\)/);
      const garbled = await tally(['spec', 'update', 'demo', file, '--if-match', 'soon', '--api', api], env);
      assert.is.not(garbled.code, 0);
      assert.match(garbled.stderr, /--if-match must be a whole number 0 or more/);

      // A file naming another specification than the one to update is a rename, refused.
      const renamed = await tally(['spec', 'update', 'nobody', file, '--api', api], env);
      assert.is(renamed.code, 1);
      assert.match(renamed.stderr, /TALLY_SPEC_RENAME/);
      const nobody = join(dir.path, 'nobody.json');
      await writeFile(nobody, JSON.stringify({ ...spec, name: 'nobody' }));
      const unknown = await tally(['spec', 'update', 'nobody', nobody, '--api', api], env);
      assert.is(unknown.code, 1);
      assert.match(unknown.stderr, /TALLY_SPEC_NOT_FOUND/);

      const history = await tally(['history', 'spec', 'demo', '--api', api, '--json']);
      const events = JSON.parse(history.stdout) as { type: string; data: { changed?: string[] } }[];
      assert.equal(
        events.map((event) => [event.type, event.data.changed ?? []]),
        [
          ['SpecificationRegistered', []],
          ['SpecificationUpdated', ['evaluator', 'systems']],
          ['SpecificationUpdated', ['evaluator', 'systems']],
          ['SpecificationUpdated', ['evaluator', 'systems']],
        ],
      );

      // On and off: by the commands for it, not by `active` in a file, which an update keeps.
      const off = await tally(['spec', 'deactivate', 'demo', '--why', 'maintenance', '--api', api], env);
      assert.is(off.code, 0, off.stderr);
      assert.match(off.stdout, /deactivated demo: SpecificationDeactivated \(spec-demo revision 4\)/);
      const isActive = async () =>
        (
          JSON.parse((await tally(['spec', 'show', 'demo', '--api', api, '--json'])).stdout).spec as {
            active: boolean;
          }
        ).active;
      assert.is(await isActive(), false);
      const withActive = join(dir.path, 'active.json');
      await writeFile(withActive, JSON.stringify({ ...spec, active: true }));
      const kept = await tally(['spec', 'update', 'demo', withActive, '--api', api], env);
      assert.is(kept.code, 0, kept.stderr);
      assert.match(
        kept.stderr,
        /"active" in the file is not applied by an update; use `tally spec activate demo`/,
      );
      assert.is(await isActive(), false);
      const on = await tally(['spec', 'activate', 'demo', '--if-match', '0', '--api', api], env);
      assert.is(on.code, 1, 'a stale revision is refused');
      const onNow = await tally(['spec', 'activate', 'demo', '--api', api], env);
      assert.is(onNow.code, 0, onNow.stderr);
      assert.is(await isActive(), true);
      const last = JSON.parse((await tally(['history', 'spec', 'demo', '--api', api, '--json'])).stdout) as {
        type: string;
        data: { why?: string };
      }[];
      assert.equal(
        last.filter((event) => event.type.endsWith('activated')).map((event) => [event.type, event.data.why]),
        [['SpecificationDeactivated', 'maintenance']],
      );
      assert.ok(last.some((event) => event.type === 'SpecificationActivated'));
    } finally {
      await farm.stop();
      await dir.cleanup();
    }
  }),
);

test.run();
