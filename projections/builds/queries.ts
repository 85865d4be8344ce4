/**
 * Queries of the builds read model: one build by id, hash or `.drv` path, and a search by job,
 * system, status and specification, newest first, with a cursor.
 */
import { getIn } from '../shared/persistent-map.ts';
import { buildDoc } from './documents.ts';
import { type BuildKey, parseBuildKey } from './keys.ts';
import { type BuildDoc, type BuildRecord, type BuildStatus, type BuildsState, idChunk } from './state.ts';

/** The hash part of the build with integer id `id`, if there is one. */
function hashOfId(state: BuildsState, id: number): string | undefined {
  if (id < 1 || id > state.lastId) return undefined;
  return getIn(state.ids, String(Math.floor((id - 1) / idChunk)))?.[(id - 1) % idChunk];
}

/** The hash part of the build `key` names: an id is looked up in `state`, a hash part is its own answer. */
export function hashOfKey(state: BuildsState, key: BuildKey): string | undefined {
  return 'id' in key ? hashOfId(state, key.id) : key.hash;
}

/** A build's record as the state keeps it, with the hash part of its `.drv` (its key in the state). */
export interface BuildEntry {
  readonly record: BuildRecord;
  readonly hash: string;
}

/** The record of the build `idOrHash` names (see `getBuild`). */
export function getBuildEntry(state: BuildsState, idOrHash: number | string): BuildEntry | undefined {
  const key = parseBuildKey(idOrHash);
  const hash = key === undefined ? undefined : hashOfKey(state, key);
  const record = hash === undefined ? undefined : getIn(state.builds, hash);
  return record === undefined ? undefined : { record, hash: hash! };
}

/** A build by its integer id (number or decimal string), the hash part of its `.drv`, or the `.drv` path. */
export function getBuild(state: BuildsState, idOrHash: number | string): BuildDoc | undefined {
  const entry = getBuildEntry(state, idOrHash);
  return entry === undefined ? undefined : buildDoc(entry.record, entry.hash);
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

/** A page of `searchBuildEntries`: the records, for a reader that makes its own documents of them. */
export interface BuildEntryPage {
  readonly entries: readonly BuildEntry[];
  readonly nextCursor?: number;
}

/** The records of the builds matching every filter given, newest (highest id) first. */
export function searchBuildEntries(state: BuildsState, filters: BuildFilters = {}): BuildEntryPage {
  const limit = Math.max(1, Math.min(filters.limit ?? 50, 1000));
  const below = filters.cursor ?? Number.POSITIVE_INFINITY;
  const entries: BuildEntry[] = [];
  for (const id of candidates(state, filters.job, below)) {
    const hash = hashOfId(state, id);
    const record = hash === undefined ? undefined : getIn(state.builds, hash);
    if (!record || !matches(record, filters)) continue;
    if (entries.length === limit) return { entries, nextCursor: entries[entries.length - 1]!.record.id };
    entries.push({ record, hash: hash! });
  }
  return { entries };
}

/** Builds matching every filter given, newest (highest id) first. */
export function searchBuilds(state: BuildsState, filters: BuildFilters = {}): BuildPage {
  const page = searchBuildEntries(state, filters);
  const builds = page.entries.map(({ record, hash }) => buildDoc(record, hash));
  return page.nextCursor === undefined ? { builds } : { builds, nextCursor: page.nextCursor };
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

/** True when some `spec, job, evaluation` triple has `value` at `offset` (0: spec, 1: job). */
/**
 * True when a job of the build's wanters matches both filters given: `spec` and `job` together name
 * one wanter (a job of that specification), not a job of one and a specification of another.
 */
function wanted(record: BuildRecord, spec: string | undefined, job: string | undefined): boolean {
  for (let i = 0; i < record.wantedBy.length; i += 3)
    if (
      (spec === undefined || record.wantedBy[i] === spec) &&
      (job === undefined || record.wantedBy[i + 1] === job)
    )
      return true;
  return false;
}

function matches(record: BuildRecord, filters: BuildFilters): boolean {
  if (filters.system !== undefined && record.system !== filters.system) return false;
  if (filters.status !== undefined && record.status !== filters.status) return false;
  if (filters.job === undefined && filters.spec === undefined) return true;
  return wanted(record, filters.spec, filters.job);
}
