/**
 * Reference scanning as Nix does it: an output refers to a store path when the path's 32-character
 * hash part appears anywhere in the output's NAR (file contents, symlink targets, names). Chunks
 * are scanned as they stream by, with an overlap so a hash split across two chunks is still seen.
 */
import { nix32Alphabet, storePathHashLength } from '../../../domain/derivation/index.ts';

const isNix32 = new Uint8Array(128);
for (const char of nix32Alphabet) isNix32[char.charCodeAt(0)] = 1;

export interface ReferenceScanner {
  update(chunk: Uint8Array): void;
  /** The candidate paths whose hash part was seen. */
  found(): Set<string>;
}

/** Scans for the hash parts of `candidates` (store paths). */
export function createReferenceScanner(candidates: Iterable<string>): ReferenceScanner {
  const byHash = new Map<string, string>();
  for (const path of candidates) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    byHash.set(base.slice(0, storePathHashLength), path);
  }
  const seen = new Set<string>();
  let carry = new Uint8Array(0);
  const scan = (bytes: Uint8Array) => {
    // Walk runs of base-32 characters; every 32-byte window inside a run is a candidate.
    let runStart = -1;
    for (let i = 0; i <= bytes.length; i++) {
      const inRun = i < bytes.length && isNix32[bytes[i]!] === 1;
      if (inRun && runStart < 0) runStart = i;
      if (!inRun && runStart >= 0) {
        for (let start = runStart; start + storePathHashLength <= i; start++) {
          const hash = String.fromCharCode(...bytes.subarray(start, start + storePathHashLength));
          const path = byHash.get(hash);
          if (path) seen.add(path);
        }
        runStart = -1;
      }
    }
  };
  return {
    update(chunk) {
      const joined = new Uint8Array(carry.length + chunk.length);
      joined.set(carry);
      joined.set(chunk, carry.length);
      scan(joined);
      carry = joined.slice(Math.max(0, joined.length - (storePathHashLength - 1)));
    },
    found: () => seen,
  };
}
