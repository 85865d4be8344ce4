/**
 * The demo jobset of `npm start`: at the first start, the files of `ops/demo/jobset/` become a git
 * repository in the data directory and the specification `demo` follows its `main` branch. A later
 * start finds both and changes nothing, so nothing is recorded twice.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { hostSystem } from '../../adapters/builders/native/native-builder.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { issue, processCause } from '../../adapters/pipeline/issue.ts';
import { streams } from '../../domain/shared/streams.ts';
import { specificationDecider } from '../../domain/specification/index.ts';
import type { Specification } from '../../domain/specification/specification.ts';

const run = promisify(execFile);
const jobsetDir = new URL('../demo/jobset/', import.meta.url).pathname;

/** The same commit on every machine for the same files: a fixed author and time. */
const gitIdentity = {
  GIT_AUTHOR_NAME: 'Tally demo',
  GIT_AUTHOR_EMAIL: 'demo@tally.invalid',
  GIT_COMMITTER_NAME: 'Tally demo',
  GIT_COMMITTER_EMAIL: 'demo@tally.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates the demo repository unless it exists; returns its path. */
export async function createDemoRepository(dataDir: string): Promise<string> {
  const repo = join(dataDir, 'demo', 'repo');
  if (await exists(join(repo, '.git'))) return repo;
  await mkdir(repo, { recursive: true });
  await cp(jobsetDir, repo, { recursive: true });
  // The jobs are written for x86_64-linux; on another machine they build for that machine instead.
  const jobsFile = join(repo, 'tally.jobs.json');
  const system = hostSystem();
  await writeFile(jobsFile, (await readFile(jobsFile, 'utf8')).replaceAll('x86_64-linux', system));
  const git = (...args: string[]) => run('git', args, { cwd: repo, env: { ...process.env, ...gitIdentity } });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '.');
  await git('commit', '--quiet', '-m', 'The demo jobset');
  return repo;
}

export function demoSpecification(repo: string): Specification {
  return {
    name: 'demo',
    channels: [{ name: 'demo', url: repo, branch: 'main' }],
    evaluator: { kind: 'native', entry: 'tally.jobs.json' },
    systems: [hostSystem()],
    priority: 0,
    pollingPeriodSeconds: 10,
    buildLimits: { timeoutSeconds: 600, maxSilentSeconds: 300, maxLogBytes: 8 << 20 },
    retries: 2,
    keepEvaluations: 3,
    active: true,
  };
}

/** Makes sure the demo repository and its specification exist. */
export async function seedDemo(dataDir: string, events: EventStore, logger: Logger): Promise<string> {
  const repo = await createDemoRepository(dataDir);
  const spec = demoSpecification(repo);
  const command = {
    type: 'RegisterSpecification',
    spec,
    actor: 'system',
    at: new Date().toISOString(),
  } as const;
  const stream = streams.spec(spec.name);
  let registered = false;
  for await (const _ of events.readStream(stream)) {
    registered = true;
    break;
  }
  if (!registered) {
    await issue(events, specificationDecider, stream, command, processCause('demo:register'), 'system');
    logger.info({ repo }, 'demo specification registered');
  }
  return repo;
}
