/**
 * Uploads, in the order Nix's own `nix copy --to http://…` sends them:
 *
 * 1. `PUT /cache/nar/<fileHash>.nar.zst` (or `.nar`, uncompressed): the NAR is staged to disk as it
 *    arrives, hashed, and kept only if its SHA-256 is the one its name says.
 * 2. `PUT /cache/<hashPart>.narinfo`: the narinfo is parsed and checked (its path and URL, a trusted
 *    uploader's signature when keys are configured), then the staged NAR is decompressed into the
 *    store's `importNar`, which checks the NAR hash, size and references before registering.
 *
 * The staged NAR a narinfo names is removed whatever the outcome, so a refused upload leaves
 * nothing behind; staged NARs whose narinfo never came (or named none) are swept after `stagedTtlMs`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store, ValidPathInfo } from '../../../adapters/store/store.ts';
import { createSha256 } from '../../../adapters/store/store-paths.ts';
import { decompressZstd } from '../../../adapters/store/zstd.ts';
import {
  narInfoFingerprint,
  type PublicKey,
  parseNarInfo,
  printNarHash,
  verifyDetached,
} from '../../../domain/derivation/index.ts';
import { CacheError } from './problems.ts';

/** A NAR file name as the cache's URLs have it. */
/** A NAR's file name: its file hash in Nix base-32, `.nar`, and the compression's extension if any. */
const narFileAnyCompression = /^([0-9a-df-np-sv-z]{52})\.nar(\.[a-z0-9]+)?$/;
export const narFileName = /^([0-9a-df-np-sv-z]{52})\.nar(\.zst)?$/;

const maxNarInfoBytes = 64 * 1024;

export interface UploadOptions {
  readonly store: Store;
  readonly stagingDir: string;
  /** When given, a narinfo must carry a valid signature by one of these keys. */
  readonly trustedKeys?: readonly PublicKey[];
  readonly maxNarBytes: number;
  readonly stagedTtlMs: number;
}

async function readSmall(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new CacheError('TALLY_CACHE_TOO_LARGE', `a narinfo is at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createUploads(options: UploadOptions) {
  const { store, stagingDir } = options;
  let unique = 0;

  async function sweep(): Promise<void> {
    const before = Date.now() - options.stagedTtlMs;
    for (const name of await readdir(stagingDir).catch(() => [] as string[])) {
      const file = join(stagingDir, name);
      const stats = await stat(file).catch(() => undefined);
      if (stats && stats.mtimeMs < before) await rm(file, { force: true });
    }
  }

  /** Stages a NAR under its file name once its bytes hash to the name. */
  async function putNar(fileName: string, body: Readable): Promise<void> {
    const match = narFileName.exec(fileName);
    // `nix copy --to` compresses with xz unless told otherwise: say how to send what the cache takes.
    if (!match && narFileAnyCompression.test(fileName))
      throw new CacheError(
        'TALLY_CACHE_UNSUPPORTED_COMPRESSION',
        `'${fileName}' is compressed in a way the cache does not take: upload zstd or none (nix copy --to 'URL?compression=zstd')`,
      );
    if (!match)
      throw new CacheError('TALLY_CACHE_BAD_REQUEST', `'${fileName}' is not <nix32 sha256>.nar[.zst]`);
    await mkdir(stagingDir, { recursive: true });
    await sweep();
    const temp = join(stagingDir, `.${process.pid}-${unique++}.part`);
    const hasher = createSha256();
    const { maxNarBytes } = options;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hasher.update(chunk);
            if (hasher.size > maxNarBytes) {
              throw new CacheError('TALLY_CACHE_TOO_LARGE', `a NAR upload is at most ${maxNarBytes} bytes`);
            }
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      const fileHash = hasher.digest();
      if (fileHash !== `sha256:${match[1]}`) {
        throw new CacheError(
          'TALLY_CACHE_FILE_HASH_MISMATCH',
          `the uploaded ${fileName} has hash ${fileHash}`,
        );
      }
      await rename(temp, join(stagingDir, fileName));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Checks a narinfo and imports its staged NAR; the NAR it names is gone afterwards either way. */
  async function putNarInfo(
    hashPart: string,
    body: Readable,
  ): Promise<{ info: ValidPathInfo; added: boolean }> {
    const text = await readSmall(body, maxNarInfoBytes);
    // Found before the narinfo is judged, so that a refused narinfo takes the NAR it names with it.
    const named = /^URL: nar\/(.+)$/m.exec(text)?.[1];
    try {
      return await checkAndImport(hashPart, text);
    } finally {
      if (named !== undefined && narFileName.test(named)) await rm(join(stagingDir, named), { force: true });
    }
  }

  async function checkAndImport(
    hashPart: string,
    text: string,
  ): Promise<{ info: ValidPathInfo; added: boolean }> {
    const narInfo = parseNarInfo(text, store.storeDir);
    if (!narInfo.storePath.startsWith(`${store.storeDir}/${hashPart}-`)) {
      throw new CacheError(
        'TALLY_CACHE_BAD_NARINFO',
        `${narInfo.storePath} is not the path of ${hashPart}.narinfo`,
      );
    }
    const url = /^nar\/(.+)$/.exec(narInfo.url)?.[1] ?? '';
    const match = narFileName.exec(url);
    if (!match) {
      throw new CacheError(
        'TALLY_CACHE_BAD_NARINFO',
        `URL '${narInfo.url}' is not nar/<nix32 sha256>.nar[.zst]`,
      );
    }
    const compression = match[2] ? 'zstd' : 'none';
    if (narInfo.compression !== compression) {
      throw new CacheError(
        'TALLY_CACHE_UNSUPPORTED_COMPRESSION',
        `compression '${narInfo.compression}' with URL ${narInfo.url}: the cache takes zstd (.nar.zst) or none (.nar)`,
      );
    }
    if (narInfo.fileHash && printNarHash(narInfo.fileHash) !== `sha256:${match[1]}`) {
      throw new CacheError('TALLY_CACHE_BAD_NARINFO', `FileHash does not match URL ${narInfo.url}`);
    }
    const existing = await store.info(narInfo.storePath);
    if (existing) return { info: existing, added: false };
    const staged = join(stagingDir, url);
    // A NAR the store holds already (another path of the same content): Nix asks with HEAD, finds it,
    // and sends only the narinfo. It is read from the store, and checked against this narinfo as any.
    const isStaged = (await stat(staged).catch(() => undefined)) !== undefined;
    const held = !isStaged && compression === 'zstd' ? await store.compressedNar(match[1]!) : undefined;
    if (!isStaged && !held) {
      throw new CacheError(
        'TALLY_CACHE_NAR_NOT_UPLOADED',
        `upload ${narInfo.url} before ${hashPart}.narinfo`,
      );
    }
    const trusted = options.trustedKeys ?? [];
    if (trusted.length > 0) {
      const fingerprint = narInfoFingerprint(narInfo, store.storeDir);
      if (!narInfo.sigs.some((sig) => verifyDetached(fingerprint, sig, trusted))) {
        throw new CacheError(
          'TALLY_CACHE_BAD_SIGNATURE',
          `${narInfo.storePath} carries no valid signature by a trusted uploader key`,
        );
      }
    }
    const expected = {
      path: narInfo.storePath,
      narHash: printNarHash(narInfo.narHash),
      narSize: narInfo.narSize,
      references: narInfo.references.map((base) => `${store.storeDir}/${base}`),
      ...(narInfo.deriver !== undefined && { deriver: `${store.storeDir}/${narInfo.deriver}` }),
      sigs: narInfo.sigs,
      ...(narInfo.ca !== undefined && { ca: narInfo.ca }),
    };
    if (held) {
      const raw = Readable.from(decompressZstd(held.stream));
      try {
        return { info: await store.importNar(raw, expected), added: true };
      } finally {
        held.stream.destroy();
      }
    }
    if (compression === 'zstd')
      return { info: await store.importNar({ zstdFile: staged }, expected), added: true };
    const raw = createReadStream(staged);
    try {
      return { info: await store.importNar(raw, expected), added: true };
    } finally {
      raw.destroy();
    }
  }

  return { putNar, putNarInfo };
}
