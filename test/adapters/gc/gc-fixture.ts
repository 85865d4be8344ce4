/**
 * A file store of synthetic paths, a ledger and the collection's dependencies, for the GC tests.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { type CollectOptions, collectGarbage } from '../../../adapters/gc/collect.ts';
import { createFileStoreGc } from '../../../adapters/gc/file-store-gc.ts';
import { type GcRootSource, staticRootSource } from '../../../adapters/gc/root-source.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Store } from '../../../adapters/store/store.ts';
import type { GcPolicy } from '../../../domain/gc/index.ts';
import { type SyntheticPath, writeSyntheticStore } from '../../../ops/bench/store/synthetic-store.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { collect, tempDir } from '../../helpers/uvu.ts';

export const old = Date.parse('2026-01-01T00:00:00Z');
export const now = Date.parse('2026-06-01T00:00:00Z');

export interface GcFixture {
  readonly root: string;
  readonly storeDir: string;
  readonly stateDir: string;
  readonly gcDir: string;
  readonly paths: string[];
  store: Store;
  /** Opens the store again (as a restarted process would) and makes it `store`. */
  reopen(): Promise<Store>;
  readonly events: EventStore;
  readonly ledger: TestLedger;
  /** Runs a collection with a policy that removes everything old by default. */
  gc(
    policy?: Partial<GcPolicy>,
    options?: Partial<CollectOptions> & { roots?: GcRootSource },
  ): ReturnType<typeof collectGarbage>;
  /** Paths valid now, by index into `paths` (sorted). */
  validIndices(): Promise<number[]>;
  /** Entries in the store directory. */
  storeEntries(): Promise<string[]>;
  /** Types of the events of `gc-<id>`, with their data. */
  stream(gcId: string): Promise<{ type: string; data: Record<string, unknown> }[]>;
  cleanup(): Promise<void>;
}

/** `spec` as paths (index → references, registered long before `now` unless `registeredAt`). */
export async function createGcFixture(spec: readonly Partial<SyntheticPath>[]): Promise<GcFixture> {
  const dir = await tempDir('tally-gc-');
  const storeDir = join(dir.path, 'nix', 'store');
  const stateDir = join(dir.path, 'state');
  const paths = await writeSyntheticStore(
    storeDir,
    stateDir,
    spec.map((p, index) => ({ references: p.references ?? [], registeredAt: p.registeredAt ?? old + index })),
  );
  const ledger = await startTestLedger({ memory: true });
  const events = await connectEventStore(ledger.ledger.url);
  const fixture: GcFixture = {
    root: dir.path,
    storeDir,
    stateDir,
    gcDir: join(dir.path, 'gc'),
    paths,
    store: await openFileStore({ storeDir, stateDir }),
    async reopen() {
      fixture.store = await openFileStore({ storeDir, stateDir });
      return fixture.store;
    },
    events,
    ledger,
    gc(policy = {}, options = {}) {
      return collectGarbage({
        store: createFileStoreGc(fixture.store, stateDir),
        events,
        rootSource: options.roots ?? staticRootSource([]),
        gcDir: fixture.gcDir,
        now: () => now,
        policy: { keepEvaluations: 1, gracePeriodSeconds: 3600, dryRun: false, ...policy },
        ...options,
      });
    },
    async validIndices() {
      const valid: number[] = [];
      for (const [index, path] of paths.entries()) if (await fixture.store.has(path)) valid.push(index);
      return valid;
    },
    storeEntries: async () => (await readdir(storeDir)).sort(),
    async stream(gcId) {
      return (await collect(events.readStream(`gc-${gcId}`))).map((e) => ({
        type: e.type,
        data: e.data as Record<string, unknown>,
      }));
    },
    async cleanup() {
      await events.close();
      await ledger.stop();
      await dir.cleanup();
    },
  };
  return fixture;
}
