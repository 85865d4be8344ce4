/** Building uploads as a worker (or `nix copy --to`) sends them: a compressed NAR and its narinfo. */
import { createHash } from 'node:crypto';
import { compressZstd } from '../../../adapters/store/zstd.ts';
import {
  type NarInfo,
  parseHash,
  pathFingerprint,
  printNarInfo,
  type SecretKey,
  signDetached,
  storePathBaseName,
  toNix32,
} from '../../../domain/derivation/index.ts';
import { inPieces, type SampleNar } from '../../adapters/store/store-fixtures.ts';

export interface Upload {
  readonly narFile: string;
  readonly compressed: Uint8Array;
  readonly narInfo: NarInfo;
  readonly hashPart: string;
}

export async function makeUpload(sample: SampleNar, storeDir: string, signer?: SecretKey): Promise<Upload> {
  const frames: Uint8Array[] = [];
  for await (const frame of compressZstd(inPieces(sample.nar, 65536))) frames.push(frame);
  const compressed = Buffer.concat(frames);
  const fileHash = toNix32(new Uint8Array(createHash('sha256').update(compressed).digest()));
  const narHash = parseHash(sample.narHash);
  const sigs = signer
    ? [
        signDetached(
          signer,
          pathFingerprint(sample.path, narHash, sample.narSize, sample.references, storeDir),
        ),
      ]
    : [];
  const narInfo: NarInfo = {
    storePath: sample.path,
    url: `nar/${fileHash}.nar.zst`,
    compression: 'zstd',
    fileHash: parseHash(`sha256:${fileHash}`),
    fileSize: compressed.length,
    narHash,
    narSize: sample.narSize,
    references: sample.references.map(storePathBaseName),
    sigs,
  };
  return {
    narFile: `${fileHash}.nar.zst`,
    compressed,
    narInfo,
    hashPart: storePathBaseName(sample.path).slice(0, 32),
  };
}

export const auth = { authorization: 'Bearer upload-token' };

/** PUTs the NAR then the narinfo (`narInfoText` overrides the narinfo's text); returns both responses. */
export async function upload(base: string, item: Upload, narInfoText = printNarInfo(item.narInfo)) {
  const nar = await fetch(`${base}/nar/${item.narFile}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/x-nix-nar' },
    body: item.compressed,
  });
  const info = await fetch(`${base}/${item.hashPart}.narinfo`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'text/x-nix-narinfo' },
    body: narInfoText,
  });
  return {
    nar,
    info,
    problem: info.ok ? undefined : ((await info.json()) as { code: string; detail: string }),
  };
}
