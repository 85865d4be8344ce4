/**
 * Comparing rebuilt projections with the live ones: the server's snapshots are the live state, each
 * as of its own position, so each is compared with a replay up to that position.
 */
import type { Snapshot, SnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { hashState } from '../../../projections/runtime/state-hash.ts';

/** How one projection compared. */
export type Verdict =
  /** The replay up to the snapshot's position hashes like the snapshot. */
  | { readonly kind: 'identical'; readonly hash: string; readonly position: number }
  /** The hashes differ: the live state is not what the events say. */
  | { readonly kind: 'differs'; readonly live: string; readonly replayed: string; readonly position: number }
  /** The server saved no snapshot of it (nothing to compare). */
  | { readonly kind: 'no-snapshot' }
  /** The snapshot is of another version of the projection (the server will rebuild it). */
  | { readonly kind: 'stale-snapshot'; readonly version: number }
  /** The snapshot cannot be read (corrupt or truncated): the live state cannot be vouched for. */
  | { readonly kind: 'unreadable-snapshot'; readonly why: string };

/** A projection of the catalogue, as far as verifying it is concerned. */
interface Named {
  readonly name: string;
  readonly version: number;
}

/** Rebuilt state hashes by projection name, as of a position. */
export interface ReplayedHashes {
  readonly hashes: ReadonlyMap<string, string>;
  readonly position: number;
}

type Replay = (projections: readonly string[], upTo: number) => Promise<ReplayedHashes>;
/** Whether any event lies after `after` up to `upTo` (inclusive). */
type EventsBetween = (after: number, upTo: number) => Promise<boolean>;

/**
 * Compares each projection's snapshot with `full` (a replay to the head) or a replay up to the
 * snapshot. A snapshot past the full replay's position matches it only when no event lies in between:
 * a running server may have folded events appended after the replay read the head.
 */
export async function verifyProjections(
  projections: readonly Named[],
  snapshots: SnapshotStore,
  full: ReplayedHashes,
  replay: Replay,
  eventsBetween: EventsBetween,
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  // Each snapshot is hashed as it is loaded and let go: all of them at once would double the memory.
  const byPosition = new Map<number, { projection: Named; live: string }[]>();
  for (const projection of projections) {
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await snapshots.load(projection.name, { unreadable: 'throw' });
    } catch (error) {
      verdicts.set(projection.name, { kind: 'unreadable-snapshot', why: (error as Error).message });
      continue;
    }
    if (!snapshot) verdicts.set(projection.name, { kind: 'no-snapshot' });
    else if (snapshot.version !== projection.version)
      verdicts.set(projection.name, { kind: 'stale-snapshot', version: snapshot.version });
    else {
      const group = byPosition.get(snapshot.position) ?? [];
      group.push({ projection, live: hashState(snapshot.state) });
      byPosition.set(snapshot.position, group);
    }
  }
  for (const [position, group] of byPosition) {
    // A snapshot as of the full replay's events is compared with it; the others need their own.
    const asOfFull =
      position === full.position ||
      (position > full.position && !(await eventsBetween(full.position, position)));
    const hashes = asOfFull
      ? full.hashes
      : (
          await replay(
            group.map((entry) => entry.projection.name),
            position,
          )
        ).hashes;
    for (const { projection, live } of group) {
      const replayed = hashes.get(projection.name)!;
      verdicts.set(
        projection.name,
        live === replayed
          ? { kind: 'identical', hash: live, position }
          : { kind: 'differs', live, replayed, position },
      );
    }
  }
  return verdicts;
}
