/**
 * The farm's signing key: every narinfo the binary cache serves is signed with it, and Nix clients
 * trust the farm by its public key. Generated at first start into `<data>/keys/`, kept thereafter.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  parseSecretKey,
  printPublicKey,
  printSecretKey,
  type SecretKey,
  secretKeyFromSeed,
} from '../../domain/derivation/index.ts';

export interface FarmKey {
  readonly secretKey: SecretKey;
  /** `name:base64`, for `trusted-public-keys`. */
  readonly publicKey: string;
  /** True when this start created it. */
  readonly created: boolean;
}

export async function loadOrCreateFarmKey(dataDir: string): Promise<FarmKey> {
  const dir = join(dataDir, 'keys');
  const secretFile = join(dir, 'farm.secret');
  try {
    const secretKey = parseSecretKey((await readFile(secretFile, 'utf8')).trim());
    return { secretKey, publicKey: printPublicKey(secretKey.publicKey), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secretKey = secretKeyFromSeed(`${hostname()}-tally-1`, new Uint8Array(randomBytes(32)));
  await writeFile(secretFile, printSecretKey(secretKey), { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, 'farm.public'), `${printPublicKey(secretKey.publicKey)}\n`, { mode: 0o644 });
  return { secretKey, publicKey: printPublicKey(secretKey.publicKey), created: true };
}
