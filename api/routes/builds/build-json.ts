/**
 * Each build's JSON as the API sends it, kept by its record. A record never changes (the read model
 * makes a new one when its build does), so the text made from it stays right for as long as it is
 * kept, in the live state and in every earlier one (`at=`). Making and serializing the documents of a
 * page of 50 builds afresh cost about 0.75 ms of CPU a request, most of a busy server's time; the
 * builds read most are the newest, and those are what the cache holds: past `capacity` records it
 * forgets the one read least recently.
 */
import { buildDoc } from '../../../projections/builds/documents.ts';
import { type HydraBuildJson, toHydraJson } from '../../../projections/builds/hydra.ts';
import type { BuildEntry } from '../../../projections/builds/queries.ts';
import type { BuildRecord } from '../../../projections/builds/state.ts';

/** How a build's JSON is written: the route's serializer for its schema. */
export type BuildSerializer = (build: HydraBuildJson) => string;

export interface BuildJsonCache {
  /** The JSON of the build, made with `serialize` unless its record's text is kept. */
  textOf(entry: BuildEntry, serialize: BuildSerializer): string;
  readonly size: number;
}

export function createBuildJsonCache(capacity = 10_000): BuildJsonCache {
  // A Map iterates in insertion order: a hit is moved to the end, so the first key is the least recent.
  const texts = new Map<BuildRecord, string>();
  return {
    textOf({ record, hash }, serialize) {
      const kept = texts.get(record);
      if (kept !== undefined) {
        texts.delete(record);
        texts.set(record, kept);
        return kept;
      }
      const text = serialize(toHydraJson(buildDoc(record, hash)));
      if (texts.size >= capacity) texts.delete(texts.keys().next().value!);
      texts.set(record, text);
      return text;
    },
    get size() {
      return texts.size;
    },
  };
}
