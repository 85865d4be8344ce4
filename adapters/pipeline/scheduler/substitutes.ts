/**
 * "Pull if substitutes": before a derivation is built, Tally's own store and the configured upstream
 * binary caches are asked for its outputs. A hit in an upstream cache is downloaded into the store
 * (checked against its narinfo's hash and size), so the builds that need it find it there.
 */
import { createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Output } from '../../../domain/build/build.ts';
import {
  type Derivation,
  type NarInfo,
  parseNarInfo,
  printHash,
  storePathBaseName,
} from '../../../domain/derivation/index.ts';
import type { Store } from '../../store/store.ts';

export interface Substitute {
  /** `local` for Tally's own store, else the cache's URL. */
  readonly from: string;
  readonly outputs: readonly Output[];
}

export interface SubstituteFinder {
  /** The outputs of `drv`, from the first place that has all of them, or undefined. */
  find(drvPath: string, drv: Derivation): Promise<Substitute | undefined>;
  /**
   * True when every output (a derivation's `outputs`, by name) is valid in Tally's own store (and for
   * content-addressed outputs, whose paths are not known before they are built): false once the
   * collector has removed one.
   */
  inStore(outputs: DerivationOutputs): Promise<boolean>;
}

export interface SubstituteOptions {
  readonly store: Store;
  /** Upstream binary caches (`https://cache.example.org`), asked in order. */
  readonly upstreams?: readonly string[];
  /** Per request. */
  readonly timeoutMs?: number;
}

/** A derivation's outputs by name, as its `.drv` says them or as a job lists them. */
export type DerivationOutputs = ReadonlyMap<string, { readonly path: string }>;

function outputPaths(outputs: DerivationOutputs): Array<{ name: string; path: string }> | undefined {
  const paths = [...outputs].map(([name, output]) => ({ name, path: output.path }));
  // Content-addressed outputs have no path before they are built: nothing to look up.
  return paths.every((output) => output.path !== '') ? paths : undefined;
}

export function createSubstituteFinder(options: SubstituteOptions): SubstituteFinder {
  const { store } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;

  /** A narinfo's facts in the form build events carry (full paths, `sha256:<nix32>`). */
  const outputOf = (name: string, info: NarInfo): Output => ({
    name,
    path: info.storePath,
    narHash: printHash(info.narHash, 'nix32', true),
    narSize: info.narSize,
    references: info.references.map((base) => `${store.storeDir}/${base}`),
  });

  async function fromStore(paths: Array<{ name: string; path: string }>): Promise<Output[] | undefined> {
    const outputs: Output[] = [];
    for (const { name, path } of paths) {
      // A valid path's content is in the store directory. Most derivations of a new evaluation have
      // no outputs yet: one stat that cannot throw settles them, where a record lookup fails with
      // an error object per miss (tens of thousands per Guix-size evaluation).
      if (!statSync(path, { throwIfNoEntry: false })) return undefined;
      const info = await store.info(path);
      if (!info) return undefined;
      outputs.push({ name, path, narHash: info.narHash, narSize: info.narSize, references: info.references });
    }
    return outputs;
  }

  async function narInfoOf(upstream: string, path: string): Promise<NarInfo | undefined> {
    const hashPart = storePathBaseName(path).slice(0, 32);
    const response = await fetch(`${upstream}/${hashPart}.narinfo`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    const info = parseNarInfo(await response.text(), store.storeDir);
    return info.storePath === path ? info : undefined;
  }

  async function download(upstream: string, info: NarInfo, deriver: string): Promise<void> {
    if (info.compression !== 'zstd' && info.compression !== 'none') {
      throw new Error(
        `${upstream} serves ${info.storePath} as ${info.compression}; Tally reads zstd or none`,
      );
    }
    const response = await fetch(`${upstream}/${info.url}`, { signal: AbortSignal.timeout(timeoutMs * 6) });
    if (!response.ok || !response.body)
      throw new Error(`${upstream}/${info.url} answered ${response.status}`);
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const expected = { ...outputOf('', info), path: info.storePath, deriver, sigs: info.sigs };
    if (info.compression === 'none') {
      await store.importNar(body, expected);
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'tally-substitute-'));
    try {
      const file = join(dir, 'nar.zst');
      await pipeline(body, createWriteStream(file));
      await store.importNar({ zstdFile: file }, expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function fromUpstream(
    upstream: string,
    drvPath: string,
    paths: Array<{ name: string; path: string }>,
  ): Promise<Output[] | undefined> {
    const infos: NarInfo[] = [];
    for (const { path } of paths) {
      const info = await narInfoOf(upstream, path);
      if (!info) return undefined;
      infos.push(info);
    }
    for (const info of infos) {
      if (!(await store.has(info.storePath))) await download(upstream, info, drvPath);
    }
    return paths.map(({ name }, i) => outputOf(name, infos[i]!));
  }

  return {
    async inStore(outputs) {
      const paths = outputPaths(outputs);
      return !paths || (await fromStore(paths)) !== undefined;
    },
    async find(drvPath, drv) {
      const paths = outputPaths(drv.outputs);
      if (!paths) return undefined;
      const local = await fromStore(paths);
      if (local) return { from: 'local', outputs: local };
      for (const upstream of options.upstreams ?? []) {
        try {
          const outputs = await fromUpstream(upstream.replace(/\/+$/, ''), drvPath, paths);
          if (outputs) return { from: upstream, outputs };
        } catch {
          // An unreachable or broken cache is a miss: the build runs instead.
        }
      }
      return undefined;
    },
  };
}
