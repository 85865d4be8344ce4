/**
 * A server killed with SIGKILL leaves no build running into its next start: an unsandboxed build
 * (`--isolation none`) dies with the real `tally serve` process; and a start kills the builds a
 * previous run wrote down as running (logging which build, which pid) before anything is requeued,
 * while a recorded pid that now runs another process, or a build of a server still running, is left
 * alone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostSystem } from '../../adapters/builders/native/native-builder.ts';
import { ownerTag, ownPidNamespace, processStart } from '../../adapters/processes/process-start.ts';
import { sleepers, uniqueSleep, until } from '../adapters/builders/processes.ts';
import { dataOf, type RunningFarm, startFarm } from '../helpers/farm.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('builds left by a server that died');
const system = hostSystem();
const farmArgs = ['--local-workers', '1', '--isolation', 'none'];

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t.invalid',
    },
  });

/** A repository whose one job runs `script` with /bin/sh. */
function jobRepo(dir: string, job: string, script: string): string {
  mkdirSync(dir, { recursive: true });
  const jobs = { jobs: { [job]: { system, builder: '/bin/sh', args: ['-c', script] } } };
  writeFileSync(join(dir, 'tally.jobs.json'), JSON.stringify(jobs));
  git(dir, 'init', '--quiet', '--initial-branch=main');
  git(dir, 'add', '.');
  git(dir, 'commit', '--quiet', '-m', 'first');
  return dir;
}

async function registerAndPoll(farm: RunningFarm, name: string, repo: string): Promise<void> {
  const headers = { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' };
  const spec = {
    name,
    pollingPeriodSeconds: 0,
    systems: [system],
    channels: [{ name: 'main', url: repo, branch: 'main' }],
    evaluator: { kind: 'native', entry: 'tally.jobs.json' },
  };
  const registered = await fetch(`${farm.api}/api/specs`, {
    method: 'POST',
    headers,
    body: JSON.stringify(spec),
  });
  assert.ok(registered.status < 300, `registering answered ${registered.status}: ${await registered.text()}`);
  const polled = await fetch(`${farm.api}/api/specs/${name}/poll`, {
    method: 'POST',
    headers: { authorization: headers.authorization },
  });
  assert.ok(polled.status < 300, `polling answered ${polled.status}: ${await polled.text()}`);
}

/** Whether `pid` runs (a zombie has stopped; only its parent's wait is missing). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** SIGKILLs what a test started and may have left (a test that failed on a build that survived). */
function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

test(
  'a build without isolation dies with a server killed with SIGKILL',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-left-builds-');
    const duration = uniqueSleep();
    const pidFile = join(dir.path, 'builder.pid');
    const repo = jobRepo(
      join(dir.path, 'repo'),
      'long',
      `echo $$ > ${pidFile}; /bin/sleep ${duration}; echo done > $out`,
    );
    let farm: RunningFarm | undefined;
    let builder: number | undefined;
    try {
      farm = await startFarm(join(dir.path, 'data'), farmArgs);
      await registerAndPoll(farm, 'crash', repo);
      await farm.events.waitFor(
        (event) => event.type === 'BuildStarted' && String(dataOf(event).drvPath).endsWith('-long.drv'),
        30_000,
        'the long build started',
      );
      await until(() => sleepers(duration).length === 1 && existsSync(pidFile), 10_000, 'the builder');
      builder = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(running(builder), 'the builder runs before the server is killed');
      await farm.kill();
      farm = undefined;
      await until(() => sleepers(duration).length === 0 && !running(builder!), 10_000, 'the build to die');
    } finally {
      await farm?.kill();
      killAll([...sleepers(duration), ...(builder ? [builder] : [])]);
      await dir.cleanup();
    }
  }),
);

/** A group leader of its own, as a build's process is. */
function startSleeper(duration: string): ChildProcess & { pid: number } {
  const child = spawn('/bin/sleep', [duration], { detached: true, stdio: 'ignore' });
  return child as ChildProcess & { pid: number };
}

test(
  'a start kills what a previous run left running, says so, and leaves other processes alone',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-left-builds-');
    const data = join(dir.path, 'data');
    const records = join(data, 'running-builds');
    mkdirSync(records, { recursive: true });
    const durations = { left: uniqueSleep(), reused: uniqueSleep(), owned: uniqueSleep() };
    const left = startSleeper(durations.left);
    const reused = startSleeper(durations.reused);
    const owned = startSleeper(durations.owned);
    // This test's pid with another start: a server that ran once and is gone.
    const deadServer = `${process.pid} 0 ${ownPidNamespace}`;
    const record = (child: { pid: number }, started: string | undefined, server: string, name: string) =>
      writeFileSync(
        join(records, `${child.pid}.json`),
        JSON.stringify({
          pid: child.pid,
          started,
          pidNamespace: ownPidNamespace,
          server,
          drvPath: `/nix/store/${name}.drv`,
        }),
      );
    record(left, processStart(left.pid), deadServer, 'left');
    // The pid of a build that ended, since given to a process that started at another time.
    record(reused, `${Number(processStart(reused.pid)) - 1}`, deadServer, 'reused');
    // A build of a server that still runs on this data directory (this test stands in for it).
    record(owned, processStart(owned.pid), ownerTag(), 'owned');
    let farm: RunningFarm | undefined;
    try {
      farm = await startFarm(data, farmArgs);
      assert.equal(sleepers(durations.left), [], 'the left build was killed');
      assert.is(sleepers(durations.reused).length, 1, 'the process with the reused pid runs');
      assert.is(sleepers(durations.owned).length, 1, "the running server's build runs");
      const log = farm
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; buildPid?: number; drvPath?: string });
      const killed = log.findIndex((line) => line.msg.startsWith('killed a build'));
      assert.ok(killed >= 0, 'the kill is logged');
      assert.is(log[killed]?.drvPath, '/nix/store/left.drv');
      assert.is(log[killed]?.buildPid, left.pid);
      assert.is(log.filter((line) => line.msg.startsWith('killed a build')).length, 1);
      const resumed = log.findIndex((line) => line.msg === 'dispatcher resumed');
      assert.ok(resumed > killed, 'killed before anything was requeued');
      assert.not.ok(existsSync(join(records, `${left.pid}.json`)));
      assert.not.ok(existsSync(join(records, `${reused.pid}.json`)));
      assert.ok(existsSync(join(records, `${owned.pid}.json`)), "the running server's record is kept");
      assert.is(await farm.stop(), 0, farm.stderr());
      farm = undefined;
    } finally {
      await farm?.kill();
      killAll([left.pid, reused.pid, owned.pid]);
      await dir.cleanup();
    }
  }),
);

test.run();
