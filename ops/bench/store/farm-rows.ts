/**
 * The store suite's rows for NAR serialization, building and garbage collection (the cache rows
 * are in `suite.ts`), each with its baseline measured in the same run.
 */
import type { BenchContext } from '../harness/types.ts';
import { measureBuilds } from './builds.ts';
import { measureGc } from './gc.ts';
import { measureNarDump } from './nar-dump.ts';

export async function measureFarmRows(bench: BenchContext): Promise<void> {
  await measureNarDump(bench);
  await measureBuilds(bench);
  await measureGc(bench);
}
