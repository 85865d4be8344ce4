/**
 * The build JSON that Hydra's (and Cuirass's) clients read, beside Tally's own fields.
 *
 * Hydra's `buildstatus` codes (hydra/src/sql/hydra.sql, table `builds`), and what Tally maps to each:
 * -  0 succeeded — built here, or substituted from a binary cache (then `iscachedbuild` is 1);
 * -  1 regular Nix failure — the builder exited non-zero (`exit-code`) or was killed (`signal`);
 * -  2 a dependency failed (`dependency-failed`);
 * -  3 aborted by a misc failure — the farm's fault, not the build's (`worker-lost`, `infrastructure`,
 *      `output-rejected`);
 * -  4 cancelled (`BuildCancelled`);
 * -  6 failure with output — not produced by Tally;
 * -  7 timed out (`timed-out`, and `silent-too-long`: Nix reports max-silent-time as a timeout too);
 * -  9 unsupported system type, 10 log limit exceeded, 11 NAR size limit exceeded — not produced
 *      (Tally records no such failure reason yet);
 * -  null while the build is not finished (Hydra's `finished` = 0).
 */
import type { FailureReason } from '../../domain/build/build.ts';
import { epochMs } from '../../domain/shared/time.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { canonicalIsoMs } from '../shared/stored-time.ts';
import type { BuildDoc } from './state.ts';

/** Hydra's `buildstatus` codes that Tally produces. */
export const hydraBuildStatus = {
  succeeded: 0,
  failed: 1,
  dependencyFailed: 2,
  aborted: 3,
  cancelled: 4,
  timedOut: 7,
} as const;

/** The Hydra code of a failure reason. */
export function hydraStatusOfFailure(reason: FailureReason): number {
  switch (reason.kind) {
    case 'exit-code':
    case 'signal':
      return hydraBuildStatus.failed;
    case 'dependency-failed':
      return hydraBuildStatus.dependencyFailed;
    case 'timed-out':
    case 'silent-too-long':
      return hydraBuildStatus.timedOut;
    case 'worker-lost':
    case 'infrastructure':
    case 'output-rejected':
      return hydraBuildStatus.aborted;
    default:
      return unreachable(reason);
  }
}

/** The Hydra code of a build, or `null` while it is not finished. */
export function hydraStatusOf(build: BuildDoc): number | null {
  switch (build.status) {
    case 'succeeded':
    case 'substituted':
      return hydraBuildStatus.succeeded;
    case 'failed':
      return build.failure ? hydraStatusOfFailure(build.failure) : hydraBuildStatus.failed;
    case 'cancelled':
      return hydraBuildStatus.cancelled;
    case 'queued':
    case 'dispatched':
    case 'building':
      return null;
    default:
      return unreachable(build.status);
  }
}

/**
 * Unix seconds of an ISO time. The documents' times are what `toISOString` writes, read here digit by
 * digit: `Date.parse` of three times a build was most of this function's cost, paid 50 times over by
 * each page of `GET /api/builds`.
 */
function unixSeconds(time: string | undefined): number | null {
  return time === undefined ? null : Math.floor((canonicalIsoMs(time) ?? epochMs(time)) / 1000);
}

/** Tally's document field by field: every field of `BuildDoc`, absent optional ones as `undefined`. */
type BuildFields = { readonly [K in keyof Required<BuildDoc>]: BuildDoc[K] };

/** A build as Hydra's and Cuirass's clients read it, with Tally's document beside. */
export interface HydraBuildJson extends BuildFields {
  /** The first job that wanted the build (`hello.x86_64-linux`). */
  readonly job: string | null;
  /** Its specification (Hydra's jobset; Tally has no projects). */
  readonly jobset: string | null;
  readonly derivation: string;
  /** The derivation's name without hash and `.drv` (`hello-2.12`). */
  readonly nixname: string;
  readonly buildstatus: number | null;
  /** 1 once finished (succeeded, failed, cancelled or substituted). */
  readonly finished: 0 | 1;
  /** 1 when the outputs came from a binary cache. */
  readonly iscachedbuild: 0 | 1;
  /** When the build was queued, Unix seconds. */
  readonly timestamp: number;
  /** When the last attempt started (or the substitution happened), Unix seconds. */
  readonly starttime: number | null;
  /** When the build finished, Unix seconds. */
  readonly stoptime: number | null;
  readonly buildoutputs: Readonly<Record<string, { readonly path: string }>>;
  /** Evaluations that want it (their ids). */
  readonly jobsetevals: readonly string[];
}

/** When the build's work started: its substitution, or the last attempt that started. */
function startOf(build: BuildDoc): string | undefined {
  if (build.status === 'substituted') return build.finishedAt;
  for (let i = build.attempts.length - 1; i >= 0; i--) {
    const startedAt = build.attempts[i]!.startedAt;
    if (startedAt !== undefined) return startedAt;
  }
  return undefined;
}

/** `/nix/store/<32-char hash>-hello-2.12.drv` → `hello-2.12`. */
function nixnameOf(drvPath: string): string {
  const start = drvPath.lastIndexOf('/') + 1 + 33;
  return drvPath.slice(start, drvPath.endsWith('.drv') ? -4 : drvPath.length);
}

function buildOutputsOf(outputs: BuildDoc['outputs']): Record<string, { readonly path: string }> {
  const result: Record<string, { readonly path: string }> = {};
  if (outputs) for (const name of Object.keys(outputs)) result[name] = { path: outputs[name]! };
  return result;
}

/** The evaluations that want the build, each once, in the order of `wantedBy`. */
function evaluationsOf(wantedBy: BuildDoc['wantedBy']): string[] {
  if (wantedBy.length === 1) return [wantedBy[0]!.evaluation];
  return [...new Set(wantedBy.map((wanter) => wanter.evaluation))];
}

/**
 * The API's JSON for one build. Written field by field rather than spreading the document: every
 * result has one shape, which made a call about five times cheaper (the route serves it per request).
 */
export function toHydraJson(build: BuildDoc): HydraBuildJson {
  const buildstatus = hydraStatusOf(build);
  const finished = build.finishedAt !== undefined && buildstatus !== null;
  const first = build.wantedBy[0];
  return {
    id: build.id,
    hash: build.hash,
    drvPath: build.drvPath,
    system: build.system,
    status: build.status,
    priority: build.priority,
    queuedAt: build.queuedAt,
    finishedAt: build.finishedAt,
    wantedBy: build.wantedBy,
    wantedCount: build.wantedCount,
    attempts: build.attempts,
    outputs: build.outputs,
    substitutedFrom: build.substitutedFrom,
    failure: build.failure,
    failureMessage: build.failureMessage,
    cancelledBy: build.cancelledBy,
    restarts: build.restarts,
    job: first?.job ?? null,
    jobset: first?.spec ?? null,
    derivation: build.drvPath,
    nixname: nixnameOf(build.drvPath),
    buildstatus,
    finished: finished ? 1 : 0,
    iscachedbuild: build.status === 'substituted' ? 1 : 0,
    timestamp: unixSeconds(build.queuedAt) ?? 0,
    starttime: unixSeconds(startOf(build)),
    stoptime: finished ? unixSeconds(build.finishedAt) : null,
    buildoutputs: buildOutputsOf(build.outputs),
    jobsetevals: evaluationsOf(build.wantedBy),
  };
}
