/**
 * What nix builds dies with the server, even one killed with SIGKILL: nix starts its builder in a
 * session of its own and cannot clean up after a SIGKILL, so without a pid namespace the builder's
 * children lived on, out of reach of the process-group kill that takes nix-store itself.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { detectBubblewrap } from '../../../adapters/builders/native/bubblewrap.ts';
import { nix, nixEnv, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { sleepers, uniqueSleep, until } from './processes.ts';

const bwrap = await detectBubblewrap();
const test = suite('a nix build of a server killed outright');
const server = fileURLToPath(new URL('./nix-build-then-die.ts', import.meta.url));

if (!bwrap.usable) {
  console.log(
    `SKIPPED: nix builds die with the server only in a pid namespace, and bwrap cannot run: ${bwrap.why}`,
  );
  test.skip('leaves nothing of the build running', () => undefined);
} else
  nixTest(
    test,
    'leaves nothing of the build running, the builder’s children included',
    withTimeout(60_000, async () => {
      const dir = await tempDir('tally-nix-dies-');
      const duration = uniqueSleep();
      const file = join(dir.path, 'sleeper.nix');
      const script = `/bin/sleep ${duration} & echo started; /bin/sleep ${duration}`;
      writeFileSync(
        file,
        `derivation { name = "sleeper"; nonce = "${duration}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script)} ]; }`,
      );
      const drvPath = nix('nix-instantiate', [file], nixEnv).toString().trim();
      const child = spawn(process.execPath, ['--import', 'tsx', server, drvPath], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          output += text;
        });
        await until(
          () => output.includes('building') && sleepers(duration).length === 2,
          30_000,
          'the build to start its two sleeps',
        );
        child.kill('SIGKILL');
        await once(child, 'exit');
        await until(() => sleepers(duration).length === 0, 5000, 'the build to die with its server');
        assert.equal(sleepers(duration), []);
      } finally {
        child.kill('SIGKILL');
        for (const pid of sleepers(duration)) process.kill(pid, 'SIGKILL');
        await dir.cleanup();
      }
    }),
  );

test.run();
reportSkipped();
