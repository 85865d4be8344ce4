/**
 * Realistic event histories of a build farm, for read-model tests and replay measurements: a
 * `FarmHistory` plays the farm's processes (poller, evaluator, scheduler, dispatcher, workers) and
 * records the typed events they would append, each with its stream, revision, `$all` position and
 * metadata, as the projection runtime hands them to projections. Three layers: the clock and the
 * records (farm-recorder.ts), builds' life cycle (farm-builds.ts), and here specifications,
 * checkouts, evaluations and scheduling.
 *
 *     const farm = new FarmHistory();
 *     farm.registerSpec('guix');
 *     const evaluation = farm.evaluate('guix', [job('hello'), job('coreutils')]);
 *     farm.scheduleBuilds(evaluation);
 *     farm.build(drv('hello'), 'succeeded');
 *
 * It lives beside the core bench, which generates its synthetic farm with it; the read-model tests
 * import it through test/projections/fixtures/farm-history.ts.
 */
import type { Wanter } from '../../../domain/build/build.ts';
import type { Checkout, PatchSeries, PollFailureReason } from '../../../domain/checkout/checkout.ts';
import { chunkJobs } from '../../../domain/evaluation/chunk-jobs.ts';
import type { EvaluationFailureReason, Job, Trigger } from '../../../domain/evaluation/job.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { IsoTime } from '../../../domain/shared/time.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import { FarmBuilds } from './farm-builds.ts';
import type { RecorderOptions } from './farm-recorder.ts';
import { commit, storeHash } from './store-names.ts';

export type { Outcome } from './farm-builds.ts';

interface EvaluationTrack {
  readonly spec: string;
  readonly jobs: Job[];
  chunks: number;
  startedAt?: IsoTime;
}

export interface FarmOptions extends RecorderOptions {
  /** Jobs per `EvaluationJobsAdded` chunk are limited by this many bytes (default: the domain's). */
  readonly chunkBytes?: number;
}

/** Records the events of a farm's life, in order, with the positions the store would give them. */
export class FarmHistory extends FarmBuilds {
  private readonly chunkBytes: number | undefined;
  private readonly specs = new Map<string, Specification>();
  private readonly checkouts = new Map<string, Map<string, Checkout>>();
  private readonly evaluations = new Map<string, EvaluationTrack>();
  private evaluationCount = 0;

  constructor(options: FarmOptions = {}) {
    super(options);
    this.chunkBytes = options.chunkBytes;
  }

  // Specifications ------------------------------------------------------------------------------------

  /** Registers a specification with one channel `main` following `master`, unless overridden. */
  registerSpec(name: string, overrides: Partial<Specification> = {}): Specification {
    const spec: Specification = {
      name,
      channels: [{ name: 'main', url: `https://git.example.org/${name}.git`, branch: 'master' }],
      evaluator: { kind: 'native', entry: 'jobset.json' },
      systems: ['x86_64-linux'],
      priority: 0,
      pollingPeriodSeconds: 300,
      buildLimits: { timeoutSeconds: 36_000, maxSilentSeconds: 3_600, maxLogBytes: 64 * 1024 * 1024 },
      retries: 0,
      keepEvaluations: 3,
      active: true,
      ...overrides,
    };
    this.specs.set(name, spec);
    this.record(streams.spec(name), { type: 'SpecificationRegistered', data: { spec } }, 'user:alice');
    return spec;
  }

  updateSpec(name: string, changes: Partial<Omit<Specification, 'name' | 'active'>>): Specification {
    const before = this.specOf(name);
    const spec = { ...before, ...changes };
    const changed = (Object.keys(changes) as (keyof Specification)[]).filter(
      (field) => JSON.stringify(before[field]) !== JSON.stringify(spec[field]),
    );
    this.specs.set(name, spec);
    this.record(streams.spec(name), { type: 'SpecificationUpdated', data: { spec, changed } }, 'user:alice');
    return spec;
  }

  deactivateSpec(name: string, why?: string): void {
    this.specs.set(name, { ...this.specOf(name), active: false });
    const data = { name, by: 'user:alice' as const, ...(why === undefined ? {} : { why }) };
    this.record(streams.spec(name), { type: 'SpecificationDeactivated', data }, 'user:alice');
  }

  activateSpec(name: string): void {
    this.specs.set(name, { ...this.specOf(name), active: true });
    this.record(
      streams.spec(name),
      { type: 'SpecificationActivated', data: { name, by: 'user:alice' } },
      'user:alice',
    );
  }

  removeSpec(name: string): void {
    this.specs.delete(name);
    this.record(
      streams.spec(name),
      { type: 'SpecificationRemoved', data: { name, by: 'user:alice' } },
      'user:alice',
    );
  }

  // Checkouts -----------------------------------------------------------------------------------------

  /** The poller saw a new commit on a channel (the first one by default). */
  detectCheckout(
    spec: string,
    options: { channel?: string; branch?: string; commit?: string; patchSeries?: PatchSeries } = {},
  ): Checkout {
    const channel = this.channelOf(spec, options.channel);
    const branch = options.branch ?? ('branch' in channel ? channel.branch : 'master');
    const commitTime = new Date(this.clock - 60_000).toISOString();
    const checkout: Checkout = {
      channel: channel.name,
      url: channel.url,
      branch,
      commit: options.commit ?? commit(`${spec}/${channel.name}/${branch}/${this.position}`),
      commitTime,
      ...(options.patchSeries ? { patchSeries: options.patchSeries } : {}),
    };
    const perChannel = this.checkouts.get(spec) ?? new Map<string, Checkout>();
    perChannel.set(channel.name, checkout);
    this.checkouts.set(spec, perChannel);
    this.record(
      streams.checkout(spec),
      { type: 'CheckoutDetected', data: { spec, ...checkout, detectedAt: this.now() } },
      'poller',
    );
    return checkout;
  }

  deleteBranch(spec: string, channel: string, branch: string): void {
    this.record(streams.checkout(spec), { type: 'BranchDeleted', data: { spec, channel, branch } }, 'poller');
  }

  pollFailed(spec: string, channel = 'main', reason: PollFailureReason = 'fetch-failed', message = ''): void {
    this.record(
      streams.checkout(spec),
      { type: 'PollFailed', data: { spec, channel, reason, message: message || `git fetch: ${reason}` } },
      'poller',
    );
  }

  pollRecovered(spec: string, channel = 'main'): void {
    this.record(streams.checkout(spec), { type: 'PollRecovered', data: { spec, channel } }, 'poller');
  }

  // Evaluations ---------------------------------------------------------------------------------------

  /** Asks for an evaluation of the latest checkouts (a new one is detected when none is known). */
  requestEvaluation(
    spec: string,
    options: { id?: string; trigger?: Trigger; checkouts?: readonly Checkout[] } = {},
  ): string {
    this.evaluationCount += 1;
    const evaluationId = options.id ?? `${spec}-${String(this.evaluationCount).padStart(5, '0')}`;
    const checkouts = options.checkouts ?? this.latestCheckouts(spec);
    this.evaluations.set(evaluationId, { spec, jobs: [], chunks: 0 });
    const trigger = options.trigger ?? { kind: 'poll' };
    this.record(
      streams.evaluation(evaluationId),
      { type: 'EvaluationRequested', data: { evaluationId, spec, trigger, checkouts } },
      'poller',
    );
    return evaluationId;
  }

  startEvaluation(evaluationId: string): void {
    const track = this.evaluationOf(evaluationId);
    track.startedAt = this.now();
    const evaluator = this.specs.get(track.spec)?.evaluator ?? { kind: 'native', entry: 'jobset.json' };
    this.record(
      streams.evaluation(evaluationId),
      { type: 'EvaluationStarted', data: { evaluationId, evaluator, startedAt: track.startedAt } },
      'evaluator',
    );
  }

  /** Appends `jobs` in as many chunks as the store's size limit needs. */
  addJobs(evaluationId: string, jobs: readonly Job[]): void {
    const track = this.evaluationOf(evaluationId);
    const options = { firstChunk: track.chunks, ...(this.chunkBytes ? { maxBytes: this.chunkBytes } : {}) };
    for (const chunk of chunkJobs(evaluationId, jobs, options)) {
      track.chunks += 1;
      this.record(
        streams.evaluation(evaluationId),
        { type: 'EvaluationJobsAdded', data: chunk },
        'evaluator',
      );
    }
    track.jobs.push(...jobs);
  }

  completeEvaluation(evaluationId: string): void {
    const track = this.evaluationOf(evaluationId);
    const durationMs = track.startedAt ? Math.max(0, this.clock - Date.parse(track.startedAt)) : 0;
    const data = { evaluationId, jobCount: track.jobs.length, durationMs };
    this.record(streams.evaluation(evaluationId), { type: 'EvaluationCompleted', data }, 'evaluator');
  }

  failEvaluation(evaluationId: string, reason: EvaluationFailureReason = 'evaluator-error'): void {
    const data = {
      evaluationId,
      reason,
      logRef: `sha256:${storeHash(evaluationId)}`,
      message: 'error: oops',
    };
    this.record(streams.evaluation(evaluationId), { type: 'EvaluationFailed', data }, 'evaluator');
  }

  abortEvaluation(evaluationId: string, why = 'a newer evaluation was requested'): void {
    this.record(
      streams.evaluation(evaluationId),
      { type: 'EvaluationAborted', data: { evaluationId, by: 'user:alice', why } },
      'user:alice',
    );
  }

  /** Request, start, jobs and completion of one evaluation; returns its id. */
  evaluate(
    spec: string,
    jobs: readonly Job[],
    options: { id?: string; trigger?: Trigger; checkouts?: readonly Checkout[] } = {},
  ): string {
    const evaluationId = this.requestEvaluation(spec, options);
    this.tick(5);
    this.startEvaluation(evaluationId);
    this.tick(30);
    if (jobs.length > 0) this.addJobs(evaluationId, jobs);
    this.completeEvaluation(evaluationId);
    return evaluationId;
  }

  /** The jobs of an evaluation recorded so far. */
  jobsOf(evaluationId: string): readonly Job[] {
    return this.evaluationOf(evaluationId).jobs;
  }

  // Builds --------------------------------------------------------------------------------------------

  /**
   * What the scheduler does after an evaluation: one `BuildQueued` per derivation never seen, one
   * `BuildWanted` per derivation that has a build already; with `reuseEnded`, as the scheduler does
   * at an evaluation's first scheduling, the wanters of builds that have ended go in one
   * `EvaluationBuildsReused` instead. Returns the derivations newly queued.
   */
  scheduleBuilds(evaluationId: string, options: { priority?: number; reuseEnded?: boolean } = {}): string[] {
    const track = this.evaluationOf(evaluationId);
    const priority = options.priority ?? this.specs.get(track.spec)?.priority ?? 0;
    const wanted = new Map<string, { job: Job; wantedBy: Wanter[] }>();
    for (const job of track.jobs) {
      const entry = wanted.get(job.drvPath) ?? { job, wantedBy: [] };
      entry.wantedBy.push({ spec: track.spec, evaluation: evaluationId, job: job.name });
      wanted.set(job.drvPath, entry);
    }
    const queued: string[] = [];
    const reused: { drvPath: string; jobs: string[] }[] = [];
    for (const [drvPath, { job, wantedBy }] of wanted) {
      if (options.reuseEnded && this.hasEnded(drvPath))
        reused.push({ drvPath, jobs: wantedBy.map((wanter) => wanter.job) });
      else if (this.hasBuild(drvPath)) this.wantBuild(drvPath, wantedBy, priority);
      else {
        this.queueBuild(drvPath, { system: job.system, wantedBy, priority, outputs: job.outputs });
        queued.push(drvPath);
      }
    }
    if (reused.length > 0) {
      const data = { evaluationId, chunk: 0, spec: track.spec, priority, builds: reused };
      this.record(streams.evaluation(evaluationId), { type: 'EvaluationBuildsReused', data }, 'scheduler');
    }
    return queued;
  }

  // Internals -----------------------------------------------------------------------------------------

  private specOf(name: string): Specification {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`farm history: no specification ${name}`);
    return spec;
  }

  private channelOf(spec: string, name: string | undefined) {
    const channels = this.specs.get(spec)?.channels ?? [
      { name: 'main', url: `https://git.example.org/${spec}.git`, branch: 'master' },
    ];
    const channel = name === undefined ? channels[0] : channels.find((c) => c.name === name);
    if (!channel) throw new Error(`farm history: ${spec} has no channel ${name}`);
    return channel;
  }

  private latestCheckouts(spec: string): Checkout[] {
    const known = this.checkouts.get(spec);
    if (known && known.size > 0) return [...known.values()];
    return [this.detectCheckout(spec)];
  }

  private evaluationOf(evaluationId: string): EvaluationTrack {
    const track = this.evaluations.get(evaluationId);
    if (!track) throw new Error(`farm history: no evaluation ${evaluationId}`);
    return track;
  }
}
