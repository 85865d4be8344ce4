/**
 * Questions the API asks of the queue. Queries may take the time (`now`) because `notBefore` is
 * compared against it; without one they use the time of the latest event folded in.
 */

import { own } from '../../domain/shared/own.ts';
import { entriesOf, getIn, type PMap } from '../shared/persistent-map.ts';
import { isoOf, msOf } from '../shared/stored-time.ts';
import type { QueueBuildStatus, QueueState } from './state.ts';

/** Counts of queued builds of one system and priority. */
export interface QueueCounts {
  readonly system: string;
  readonly priority: number;
  /** Every dependency has outputs and nothing holds the build back. */
  readonly runnable: number;
  /** Every dependency has outputs, but a requeue said not before a time still to come. */
  readonly deferred: number;
  /** Waiting on at least one dependency. */
  readonly blocked: number;
}

export interface QueueSummary {
  readonly runnable: number;
  readonly deferred: number;
  readonly blocked: number;
  /** By system (alphabetical), then priority (highest first). */
  readonly lanes: readonly QueueCounts[];
}

/** One queued build as the API lists it. */
export interface QueueEntry {
  readonly drvPath: string;
  readonly system: string;
  readonly priority: number;
  readonly queuedAt: string;
  readonly runnable: boolean;
  readonly notBefore?: string;
  /** Dependencies without outputs yet. */
  readonly waitingOn: readonly string[];
}

export interface ListQueueOptions {
  readonly system: string;
  /** `true`: only runnable builds; `false`: only blocked or deferred ones; absent: all. */
  readonly runnable?: boolean;
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  readonly now?: string | number;
}

export interface QueuePage {
  readonly items: readonly QueueEntry[];
  /** Present when more items follow. */
  readonly nextCursor?: string;
}

/** A dependency a build waits on, and where that dependency is. */
export interface BlockingDependency {
  readonly drvPath: string;
  /** `unknown`: not queued yet; `failed`/`cancelled`: its dependents will fail unless it is restarted. */
  readonly status: QueueBuildStatus | 'unknown';
}

export interface BlockedBy {
  readonly drvPath: string;
  readonly status: QueueBuildStatus;
  readonly waitingOn: readonly BlockingDependency[];
}

const nowOf = (state: QueueState, now: string | number | undefined) =>
  now === undefined ? state.lastAt : msOf(now);

function deferredCounts(state: QueueState, now: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [drvPath, notBefore] of entriesOf(state.deferred)) {
    if (notBefore <= now) continue;
    const build = getIn(state.builds, drvPath);
    if (build?.status !== 'queued' || (build.pending?.length ?? 0) > 0) continue;
    const key = `${build.system}\u0000${build.priority}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Counts per system × priority, runnable vs deferred vs blocked. */
export function queueSummary(
  state: QueueState,
  options: { readonly now?: string | number } = {},
): QueueSummary {
  const deferred = deferredCounts(state, nowOf(state, options.now));
  const lanes: QueueCounts[] = [];
  for (const system of Object.keys(state.lanes).sort()) {
    const { ready, blocked } = state.lanes[system]!;
    const priorities = new Set([...Object.keys(ready), ...Object.keys(blocked)].map(Number));
    for (const priority of [...priorities].sort((a, b) => b - a)) {
      const waiting = deferred.get(`${system}\u0000${priority}`) ?? 0;
      lanes.push({
        system,
        priority,
        runnable: (ready[priority]?.size ?? 0) - waiting,
        deferred: waiting,
        blocked: blocked[priority]?.size ?? 0,
      });
    }
  }
  const sum = (pick: (counts: QueueCounts) => number) => lanes.reduce((total, c) => total + pick(c), 0);
  return {
    runnable: sum((c) => c.runnable),
    deferred: sum((c) => c.deferred),
    blocked: sum((c) => c.blocked),
    lanes,
  };
}

/** Queued builds of one system, whatever their priority. */
export interface SystemQueueSizes {
  readonly system: string;
  readonly runnable: number;
  readonly deferred: number;
  readonly blocked: number;
}

/**
 * Counts per system (alphabetical), for every system the queue has ever held: an emptied queue counts
 * zeros rather than vanishing, so a scraper reads "0" and not "no data". As cheap as `queueSummary`:
 * the lanes' sizes, and the deferred builds only.
 */
export function queueSizes(
  state: QueueState,
  options: { readonly now?: string | number } = {},
): readonly SystemQueueSizes[] {
  const sizes = new Map<string, { system: string; runnable: number; deferred: number; blocked: number }>();
  for (const system of Object.keys(state.lanes).sort())
    sizes.set(system, { system, runnable: 0, deferred: 0, blocked: 0 });
  for (const lane of queueSummary(state, options).lanes) {
    const size = sizes.get(lane.system)!;
    size.runnable += lane.runnable;
    size.deferred += lane.deferred;
    size.blocked += lane.blocked;
  }
  return [...sizes.values()];
}

interface Position {
  readonly priority: number;
  readonly queuedAt: number;
  readonly drvPath: string;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.priority, position.queuedAt, position.drvPath])).toString(
    'base64url',
  );
}

/** The position a cursor names, or `undefined` for a cursor this code did not write. */
export function decodeCursor(cursor: string): Position | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [priority, queuedAt, drvPath] = value as unknown[];
    if (typeof priority !== 'number' || typeof queuedAt !== 'number' || typeof drvPath !== 'string')
      return undefined;
    return { priority, queuedAt, drvPath };
  } catch {
    return undefined;
  }
}

/** Oldest first, then by path so that ties have one order. */
function byAge(a: Position, b: Position): number {
  return a.queuedAt - b.queuedAt || (a.drvPath < b.drvPath ? -1 : a.drvPath > b.drvPath ? 1 : 0);
}

function laneEntries(lane: PMap<number> | undefined, priority: number): Position[] {
  if (!lane) return [];
  return Array.from(entriesOf(lane), ([drvPath, queuedAt]) => ({ priority, queuedAt, drvPath }));
}

/**
 * A page of one system's queue, highest priority first, then oldest first. Throws on a cursor it did
 * not write (the API turns that into a 400).
 */
export function listQueue(state: QueueState, options: ListQueueOptions): QueuePage {
  const now = nowOf(state, options.now);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  if (options.cursor !== undefined && after === undefined) throw new Error('invalid queue cursor');
  const lanes = own(state.lanes, options.system);
  if (!lanes || options.limit <= 0) return { items: [] };
  const priorities = new Set([...Object.keys(lanes.ready), ...Object.keys(lanes.blocked)].map(Number));
  const items: QueueEntry[] = [];
  let last: Position | undefined;
  for (const priority of [...priorities].sort((a, b) => b - a)) {
    if (after && priority > after.priority) continue;
    // The ready lane holds deferred builds too (waiting out a back-off): not runnable, but listed then.
    const candidates = [
      ...laneEntries(lanes.ready[priority], priority),
      ...laneEntries(lanes.blocked[priority], priority),
    ].sort(byAge);
    for (const position of candidates) {
      if (after && priority === after.priority && byAge(position, after) <= 0) continue;
      const build = getIn(state.builds, position.drvPath);
      if (build?.status !== 'queued') continue;
      const waitingOn = build.pending ?? [];
      const runnable = waitingOn.length === 0 && (build.notBefore ?? 0) <= now;
      if (options.runnable !== undefined && runnable !== options.runnable) continue;
      if (items.length === options.limit && last) return { items, nextCursor: encodeCursor(last) };
      last = position;
      items.push({
        drvPath: position.drvPath,
        system: build.system,
        priority,
        queuedAt: isoOf(build.queuedAt),
        runnable,
        ...(build.notBefore === null ? {} : { notBefore: isoOf(build.notBefore) }),
        waitingOn,
      });
    }
  }
  return { items };
}

/** What a build waits on; `undefined` when the queue never saw the build. */
export function blockedBy(state: QueueState, drvPath: string): BlockedBy | undefined {
  const build = getIn(state.builds, drvPath);
  if (!build) return undefined;
  const pending = (build.status === 'queued' ? build.pending : null) ?? [];
  return {
    drvPath,
    status: build.status,
    waitingOn: pending.map((dependency) => ({
      drvPath: dependency,
      status: getIn(state.builds, dependency)?.status ?? 'unknown',
    })),
  };
}
