/**
 * The middle layer of `FarmHistory`: a build's life as the scheduler, the dispatcher and the workers
 * record it, from queued to finished, restarted or requeued.
 */
import type { FailureReason, Output, RequeueReason, Wanter } from '../../../domain/build/build.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { IsoTime } from '../../../domain/shared/time.ts';
import { FarmRecorder } from './farm-recorder.ts';
import { fnv, outPath, packageOf, storeHash } from './store-names.ts';

/** What a finished build attempt can end with: success, a plain exit-code failure, or any reason. */
export type Outcome = 'succeeded' | 'failed' | FailureReason;

interface BuildTrack {
  system: string;
  attempts: number;
  current?: string;
  outputs: Record<string, string>;
  /** Succeeded, substituted or failed, and not restarted since: what the scheduler reuses. */
  ended?: boolean;
}

/** Records builds' events; see `FarmHistory` for the rest of the farm. */
export class FarmBuilds extends FarmRecorder {
  private readonly builds = new Map<string, BuildTrack>();
  private attemptCount = 0;

  queueBuild(
    drvPath: string,
    options: {
      system?: string;
      wantedBy?: readonly Wanter[];
      priority?: number;
      dependencies?: readonly string[];
      outputs?: Readonly<Record<string, string>>;
    } = {},
  ): void {
    const system = options.system ?? 'x86_64-linux';
    const outputs = options.outputs ?? { out: outPath(packageOf(drvPath)) };
    this.builds.set(drvPath, { system, attempts: 0, outputs: { ...outputs } });
    const data = {
      drvPath,
      system,
      wantedBy: options.wantedBy ?? [],
      priority: options.priority ?? 0,
      dependencies: options.dependencies ?? [],
    };
    this.record(streams.build(drvPath), { type: 'BuildQueued', data }, 'scheduler');
  }

  wantBuild(drvPath: string, wantedBy: readonly Wanter[], priority = 0): void {
    this.record(
      streams.build(drvPath),
      { type: 'BuildWanted', data: { drvPath, wantedBy, priority } },
      'scheduler',
    );
  }

  substitute(drvPath: string, from = 'https://cache.nixos.org'): void {
    this.buildOf(drvPath).ended = true;
    const outputs = this.outputsOf(drvPath);
    this.record(
      streams.build(drvPath),
      { type: 'BuildSubstituted', data: { drvPath, from, outputs } },
      'scheduler',
    );
  }

  /** A new attempt on `worker`; returns its attempt id. */
  dispatch(drvPath: string, worker = 'w1'): string {
    const track = this.buildOf(drvPath);
    this.attemptCount += 1;
    track.attempts += 1;
    const attemptId = `a-${this.attemptCount}`;
    track.current = attemptId;
    const data = { drvPath, worker, attemptId, attempt: track.attempts };
    this.record(streams.build(drvPath), { type: 'BuildDispatched', data }, 'dispatcher');
    return attemptId;
  }

  startBuild(drvPath: string): void {
    const attemptId = this.currentAttempt(drvPath);
    const data = { drvPath, attemptId, startedAt: this.now() };
    this.record(streams.build(drvPath), { type: 'BuildStarted', data }, 'worker:w1');
  }

  storeLog(drvPath: string, bytes = 4096): string {
    const attemptId = this.currentAttempt(drvPath);
    const logRef = `sha256:${storeHash(`log:${attemptId}`)}`;
    this.record(streams.build(drvPath), {
      type: 'BuildLogStored',
      data: { drvPath, attemptId, logRef, bytes },
    });
    return logRef;
  }

  succeed(drvPath: string, startedAt?: IsoTime): void {
    const attemptId = this.currentAttempt(drvPath);
    const timings = {
      startedAt: startedAt ?? new Date(this.clock - 60_000).toISOString(),
      finishedAt: this.now(),
    };
    const outputs = this.outputsOf(drvPath);
    this.buildOf(drvPath).current = undefined;
    this.buildOf(drvPath).ended = true;
    this.record(
      streams.build(drvPath),
      { type: 'BuildSucceeded', data: { drvPath, attemptId, outputs, timings } },
      'worker:w1',
    );
  }

  /** The current attempt failed (or, without an attempt, the farm failed the build: dependencies). */
  fail(drvPath: string, reason: FailureReason = { kind: 'exit-code', exitCode: 1 }, message?: string): void {
    const track = this.buildOf(drvPath);
    const attemptId = track.current;
    track.current = undefined;
    track.ended = true;
    const data = {
      drvPath,
      ...(attemptId === undefined ? {} : { attemptId }),
      reason,
      ...(message === undefined ? {} : { message }),
    };
    this.record(streams.build(drvPath), { type: 'BuildFailed', data }, attemptId ? 'worker:w1' : 'scheduler');
  }

  /** The build fails because `root` failed; no attempt is involved. */
  failDependency(drvPath: string, root: string): void {
    this.buildOf(drvPath).current = undefined;
    this.fail(drvPath, { kind: 'dependency-failed', root });
  }

  cancel(drvPath: string, why?: string): void {
    this.buildOf(drvPath).current = undefined;
    const data = { drvPath, by: 'user:alice' as const, ...(why === undefined ? {} : { why }) };
    this.record(streams.build(drvPath), { type: 'BuildCancelled', data }, 'user:alice');
  }

  restart(drvPath: string, why?: string): void {
    this.buildOf(drvPath).ended = false;
    const data = { drvPath, by: 'user:alice' as const, ...(why === undefined ? {} : { why }) };
    this.record(streams.build(drvPath), { type: 'BuildRestarted', data }, 'user:alice');
  }

  requeue(drvPath: string, why: RequeueReason = 'worker-lost', afterSeconds = 60): string {
    const attemptId = this.currentAttempt(drvPath);
    this.buildOf(drvPath).current = undefined;
    const notBefore = new Date(this.clock + afterSeconds * 1000).toISOString();
    this.record(
      streams.build(drvPath),
      { type: 'BuildRequeued', data: { drvPath, attemptId, why, notBefore } },
      'dispatcher',
    );
    return attemptId;
  }

  ignoreResult(
    drvPath: string,
    attemptId: string,
    result: 'started' | 'succeeded' | 'failed' = 'succeeded',
  ): void {
    this.record(
      streams.build(drvPath),
      { type: 'BuildResultIgnored', data: { drvPath, attemptId, why: 'stale-attempt', result } },
      'dispatcher',
    );
  }

  /** One whole attempt: dispatch, start, log, then success or failure. Returns the attempt id. */
  build(drvPath: string, outcome: Outcome = 'succeeded', worker = 'w1'): string {
    const attemptId = this.dispatch(drvPath, worker);
    this.tick(2);
    this.startBuild(drvPath);
    const startedAt = this.now();
    this.tick(60);
    this.storeLog(drvPath);
    if (outcome === 'succeeded') this.succeed(drvPath, startedAt);
    else this.fail(drvPath, outcome === 'failed' ? { kind: 'exit-code', exitCode: 1 } : outcome);
    return attemptId;
  }

  /** Whether the farm has a build of `drvPath`. */
  protected hasBuild(drvPath: string): boolean {
    return this.builds.has(drvPath);
  }

  /** Whether the build of `drvPath` succeeded, was substituted or failed, and was not restarted since. */
  protected hasEnded(drvPath: string): boolean {
    return this.builds.get(drvPath)?.ended === true;
  }

  private buildOf(drvPath: string): BuildTrack {
    const track = this.builds.get(drvPath);
    if (!track) throw new Error(`farm history: no build of ${drvPath}`);
    return track;
  }

  private currentAttempt(drvPath: string): string {
    const attemptId = this.buildOf(drvPath).current;
    if (!attemptId) throw new Error(`farm history: ${drvPath} has no current attempt`);
    return attemptId;
  }

  private outputsOf(drvPath: string): Output[] {
    return Object.entries(this.buildOf(drvPath).outputs).map(([name, path]) => ({
      name,
      path,
      narHash: `sha256:${storeHash(`nar:${path}`)}`,
      narSize: 1024 + (fnv(path, 0) % 100_000),
      references: [],
    }));
  }
}
