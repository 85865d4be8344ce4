/**
 * Queries of the builds read model: one build by id, hash or `.drv` path, and a search by job,
 * system, status and specification, newest first, with a cursor.
 */
import { drvHashPart } from '../../domain/shared/streams.ts';
import { getIn } from '../shared/persistent-map.ts';
import type { BuildDoc, BuildStatus, BuildsState } from './state.ts';

/** A build by its integer id (number or decimal string), the hash part of its `.drv`, or the `.drv` path. */
export function getBuild(state: BuildsState, idOrHash: number | string): BuildDoc | undefined {
  const key = String(idOrHash);
  if (/^[1-9][0-9]{0,15}$/.test(key)) {
    const hash = getIn(state.ids, key);
    return hash === undefined ? undefined : getIn(state.builds, hash);
  }
  const hash = key.includes('/') ? drvHashPart(key) : key;
  return hash === undefined ? undefined : getIn(state.builds, hash);
}

export interface BuildFilters {
  /** The job's name (`hello.x86_64-linux`), in any specification. */
  readonly job?: string;
  readonly system?: string;
  readonly status?: BuildStatus;
  /** Builds some job of this specification wants. */
  readonly spec?: string;
  /** At most this many (default 50, at most 1000). */
  readonly limit?: number;
  /** Only builds with a smaller id: the `nextCursor` of the previous page. */
  readonly cursor?: number;
}

export interface BuildPage {
  readonly builds: readonly BuildDoc[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: number;
}

/** Builds matching every filter given, newest (highest id) first. */
export function searchBuilds(state: BuildsState, filters: BuildFilters = {}): BuildPage {
  const limit = Math.max(1, Math.min(filters.limit ?? 50, 1000));
  const below = filters.cursor ?? Number.POSITIVE_INFINITY;
  const builds: BuildDoc[] = [];
  for (const id of candidates(state, filters.job, below)) {
    const build = getBuild(state, id);
    if (!build || !matches(build, filters)) continue;
    if (builds.length === limit) return { builds, nextCursor: builds[builds.length - 1]!.id };
    builds.push(build);
  }
  return { builds };
}

/** Ids to look at, descending: the job's own index when a job is asked for, every id otherwise. */
function* candidates(state: BuildsState, job: string | undefined, below: number): Generator<number> {
  if (job !== undefined) {
    const ids = getIn(state.byJob, job) ?? [];
    for (let i = ids.length - 1; i >= 0; i--) if (ids[i]! < below) yield ids[i]!;
    return;
  }
  for (let id = Math.min(state.lastId, below - 1); id >= 1; id--) yield id;
}

function matches(build: BuildDoc, filters: BuildFilters): boolean {
  if (filters.system !== undefined && build.system !== filters.system) return false;
  if (filters.status !== undefined && build.status !== filters.status) return false;
  if (filters.job !== undefined && !build.wantedBy.some((w) => w.job === filters.job)) return false;
  if (filters.spec !== undefined && !build.wantedBy.some((w) => w.spec === filters.spec)) return false;
  return true;
}
