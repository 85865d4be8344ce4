/**
 * A Nix specification end to end with the real `nix`: `release.nix` in a git repository, evaluated
 * by `nix-instantiate`, built by `nix-store --realise` on the local worker, the outputs registered in
 * Tally's store over `/nix/store` and served by the binary cache. Skipped, visibly, without nix.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostSystem } from '../../adapters/builders/native/native-builder.ts';
import type { RecordedEvent } from '../../adapters/eventstore/event-store.ts';
import { nixTest, reportSkipped } from '../domain/derivation/nix.ts';
import { dataOf, startFarm } from '../helpers/farm.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('a nix specification');

nixTest(
  test,
  'release.nix is evaluated by nix-instantiate, built by nix-store --realise, and served by the cache',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-nix-spec-');
    const repo = join(dir.path, 'repo');
    mkdirSync(repo);
    // A nonce makes the derivations new to this machine's /nix/store, so they are really built.
    const nonce = randomUUID();
    writeFileSync(
      join(repo, 'release.nix'),
      `let
  mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; nonce = "${nonce}"; };
in rec {
  base = mk "tally-e2e-base" "echo base > $out";
  tools.top = mk "tally-e2e-top" "echo top of \${base} > $out";
}
`,
    );
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t.invalid',
    };
    execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repo, env });
    execFileSync('git', ['add', '.'], { cwd: repo, env });
    execFileSync('git', ['commit', '--quiet', '-m', 'release'], { cwd: repo, env });
    const farm = await startFarm(join(dir.path, 'data'), [
      '--local-workers',
      '1',
      '--builder',
      'nix',
      '--store-dir',
      '/nix/store',
    ]);
    try {
      const registered = await fetch(`${farm.api}/api/specs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'release',
          channels: [{ name: 'main', url: repo, branch: 'main' }],
          evaluator: { kind: 'nix', entry: 'release.nix' },
          systems: [hostSystem()],
          pollingPeriodSeconds: 0,
        }),
      });
      assert.ok(registered.status < 300, await registered.text());
      const polled = await fetch(`${farm.api}/api/specs/release/poll`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}` },
      });
      assert.ok(polled.status < 300, await polled.text());
      const built = (name: string) => (event: RecordedEvent) =>
        event.type === 'BuildSucceeded' && String(dataOf(event).drvPath).endsWith(`-${name}.drv`);
      const top = await farm.events.waitFor(built('tally-e2e-top'), 60_000, 'the top job built by nix');
      await farm.events.waitFor(built('tally-e2e-base'), 1000, 'base built first');
      const jobs = farm.events.seen.find((event) => event.type === 'EvaluationJobsAdded');
      const names = (dataOf(jobs!).jobs as Array<{ name: string }>).map((job) => job.name).sort();
      assert.equal(names, ['base', 'tools.top']);
      const [output] = dataOf(top).outputs as Array<{ path: string; references: string[] }>;
      assert.match(
        execFileSync('cat', [output!.path], { encoding: 'utf8' }),
        /^top of \/nix\/store\/[a-z0-9]{32}-tally-e2e-base\n$/,
      );
      assert.is(output!.references.length, 1, 'top refers to base');
      const hashPart = output!.path.slice('/nix/store/'.length, '/nix/store/'.length + 32);
      const narinfo = await fetch(`${farm.api}/cache/${hashPart}.narinfo`);
      assert.is(narinfo.status, 200);
      assert.match(await narinfo.text(), new RegExp(`StorePath: ${output!.path.replace(/[.]/g, '\\.')}`));
    } finally {
      assert.is(await farm.stop(), 0, farm.stderr());
      await dir.cleanup();
    }
  }),
);

reportSkipped();
test.run();
