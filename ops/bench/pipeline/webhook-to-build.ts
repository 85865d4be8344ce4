/**
 * From a forge's push webhook to the first build started on an idle worker: the real `tally serve`
 * with one local worker, a small native jobset in a real git repository, a signed GitHub webhook per
 * fresh commit; the clock runs from sending the webhook to the BuildStarted event. The same-run
 * baseline is the git work that path cannot avoid: fetching the new commit into a mirror.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hostSystem } from '../../../adapters/builders/native/native-builder.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { openTokenStore } from '../../../api/auth/token-store.ts';
import { openHookSecrets } from '../../../api/routes/hooks/secrets.ts';
import type { BenchContext } from '../harness/types.ts';
import type { PipelineRow } from './row.ts';

const rounds = 7;
const root = new URL('../../..', import.meta.url).pathname;
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@tally.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@tally.invalid',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

function writeJobset(repo: string, round: number): void {
  const job = (script: string) => ({ system: hostSystem(), builder: '/bin/sh', args: ['-c', script] });
  const jobs = {
    first: job(`echo round ${round} > $out`),
    second: { ...job('/bin/cat @{job:first} > $out'), inputs: ['first'] },
    third: { ...job('/bin/cat @{job:second} > $out'), inputs: ['second'] },
  };
  writeFileSync(join(repo, 'tally.jobs.json'), JSON.stringify({ jobs }, null, 2));
}

async function startServer(
  dataDir: string,
  bench: BenchContext,
): Promise<{ api: string; eventstore: string }> {
  // The executable itself, so that its node options apply as when an operator runs `tally`.
  const child: ChildProcess = spawn(
    './ops/cli/bin.js',
    ['serve', '--data', dataDir, '--port', '0', '--ledger-port', '0', '--local-workers', '1'],
    { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TALLY_DATA: '' } },
  );
  bench.defer(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.includes('tally server started')) {
      lines.close();
      // Its log keeps flowing: drained, so a full pipe never blocks the server.
      child.stdout!.resume();
      return JSON.parse(line) as { api: string; eventstore: string };
    }
  }
  throw new Error('tally serve exited before it started');
}

export const webhookToBuild: PipelineRow = {
  name: 'webhook to first build started, small jobset',
  async run(bench) {
    const dir = await bench.tempDir('tally-bench-webhook-');
    const repo = join(dir, 'repo');
    execFileSync('mkdir', ['-p', repo]);
    git(repo, 'init', '--quiet', '--initial-branch=main');
    writeJobset(repo, 0);
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'round 0');
    const dataDir = join(dir, 'data');
    const secret = await openHookSecrets(dataDir).create('bench');
    const { api, eventstore } = await startServer(dataDir, bench);
    const events = await connectEventStore(eventstore);
    bench.defer(() => events.close());
    // The server's first token was printed once; the bench makes its own through the token store.
    const bearer = await openTokenStore(dataDir).createToken('bench');
    const registered = await fetch(`${api}/api/specs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'bench',
        channels: [{ name: 'main', url: repo, branch: 'main' }],
        evaluator: { kind: 'native', entry: 'tally.jobs.json' },
        systems: [hostSystem()],
        pollingPeriodSeconds: 0,
      }),
    });
    if (registered.status >= 300) throw new Error(`registering the spec: ${await registered.text()}`);

    /** Follows the store from now; `arrived` resolves at the first event of `type` (once `ready`). */
    const nextEvent = (type: string, what: string) => {
      const subscription = events.subscribeToAll({ from: 'end' });
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          void subscription.cancel();
          reject(new Error(`no ${what} within 30 s`));
        }, 30_000);
        void (async () => {
          for await (const message of subscription) {
            if (message.kind === 'event' && message.event.type === type) {
              clearTimeout(timer);
              resolve(performance.now());
              await subscription.cancel();
              return;
            }
          }
        })();
      });
      return { ready: subscription.started(), arrived };
    };
    const settled = async (count: number) => {
      // Every round ends with its three builds done, so the next one starts on an idle worker.
      for (let seen = 0; seen < count; ) {
        let done = 0;
        for await (const event of events.readAll({ direction: 'backwards', limit: 200 }))
          if (event.type === 'BuildSucceeded') done++;
        seen = done;
        if (seen < count) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    const times: number[] = [];
    await bench.measure(
      {
        name: 'webhook to first build started, small jobset (3 jobs)',
        target: { comparison: 'at-most', value: 2000, unit: 'ms' },
        baselines: [
          await bench.baseline(
            'git fetch of the new commit into a mirror',
            async () => {
              const mirror = join(dir, 'baseline.git');
              git(dir, 'clone', '--quiet', '--mirror', repo, mirror);
              git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'baseline');
              const started = performance.now();
              git(mirror, 'fetch', '--quiet', '--prune', 'origin');
              return { value: Math.round(performance.now() - started), unit: 'ms' };
            },
            'timing git fetch',
          ),
        ],
      },
      async () => {
        for (let round = 1; round <= rounds; round++) {
          writeJobset(repo, round);
          git(repo, 'commit', '--quiet', '-am', `round ${round}`);
          const body = JSON.stringify({ ref: 'refs/heads/main', after: git(repo, 'rev-parse', 'HEAD') });
          const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
          const started = nextEvent('BuildStarted', 'build started after the webhook');
          await started.ready;
          const sent = performance.now();
          const answer = await fetch(`${api}/api/hooks/bench`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': signature,
              'x-github-event': 'push',
            },
            body,
          });
          if (answer.status !== 202)
            throw new Error(`the webhook answered ${answer.status}: ${await answer.text()}`);
          times.push((await started.arrived) - sent);
          bench.progress(`round ${round}: ${Math.round(times.at(-1)!)} ms`);
          await settled(3 * round);
        }
        const sorted = [...times].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        return {
          figure: { value: Math.round(median), unit: 'ms' },
          note: `median of ${rounds} pushes; fastest ${Math.round(sorted[0]!)} ms, slowest ${Math.round(sorted.at(-1)!)} ms`,
          details: { times: times.map(Math.round) },
        };
      },
    );
  },
};
