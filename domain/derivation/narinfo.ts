/**
 * `.narinfo` files, the binary cache's description of one store path, read and written as Nix's
 * `nar-info.cc` does: `Key: value` lines, unknown keys ignored, hashes printed `sha256:<nix32>`,
 * references and deriver as base names, signatures in sorted order.
 */
import { sortNix } from './bytes.ts';
import { DerivationError } from './errors.ts';
import { type Hash, parseHash, printHash } from './hash.ts';
import { pathFingerprint } from './signing.ts';
import { defaultStoreDir, parseStorePath } from './store-path.ts';

export interface NarInfo {
  readonly storePath: string;
  readonly url: string;
  /** `xz`, `zstd`, `none`… Nix reads a missing one as `bzip2`. */
  readonly compression: string;
  readonly fileHash?: Hash;
  readonly fileSize?: number;
  readonly narHash: Hash;
  readonly narSize: number;
  /** Base names (`<hash>-<name>`) of the paths this one refers to. */
  readonly references: readonly string[];
  /** Base name of the `.drv` that built it. */
  readonly deriver?: string;
  readonly system?: string;
  readonly sigs: readonly string[];
  /** Content address, as `fixed:r:sha256:<nix32>` or `text:sha256:<nix32>`. */
  readonly ca?: string;
}

const corrupt = (message: string, offset?: number) =>
  new DerivationError('TALLY_NARINFO_INVALID', `corrupt narinfo: ${message}`, offset);

function parseSize(value: string, at: number): number {
  const size = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(size)) throw corrupt(`'${value}' is not a size`, at);
  return size;
}

function parseHashField(value: string, at: number): Hash {
  try {
    return parseHash(value);
  } catch {
    throw corrupt(`'${value}' is not a hash`, at);
  }
}

function checkBaseName(base: string, storeDir: string, at: number): string {
  try {
    parseStorePath(`${storeDir}/${base}`, storeDir);
  } catch (error) {
    throw corrupt((error as Error).message, at);
  }
  return base;
}

export function parseNarInfo(text: string, storeDir = defaultStoreDir): NarInfo {
  const fields: Record<string, unknown> = { sigs: [] as string[], references: [] as string[] };
  let sawReferences = false;
  let pos = 0;
  while (pos < text.length) {
    const eol = text.indexOf('\n', pos);
    if (eol < 0) throw corrupt('the last line has no newline', pos);
    const line = text.slice(pos, eol);
    const colon = line.indexOf(': ');
    if (colon <= 0) throw corrupt(`'${line}' is not a 'Key: value' line`, pos);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 2);
    const at = pos + colon + 2;
    switch (key) {
      case 'StorePath':
        checkBaseName(value.slice(storeDir.length + 1), storeDir, at);
        if (!value.startsWith(`${storeDir}/`)) throw corrupt(`'${value}' is not in ${storeDir}`, at);
        fields.storePath = value;
        break;
      case 'URL':
        fields.url = value;
        break;
      case 'Compression':
        fields.compression = value;
        break;
      case 'FileHash':
        fields.fileHash = parseHashField(value, at);
        break;
      case 'FileSize':
        fields.fileSize = parseSize(value, at);
        break;
      case 'NarHash':
        fields.narHash = parseHashField(value, at);
        break;
      case 'NarSize':
        fields.narSize = parseSize(value, at);
        break;
      case 'References':
        if (sawReferences) throw corrupt('References given twice', pos);
        sawReferences = true;
        fields.references = value
          .split(' ')
          .filter((ref) => ref !== '')
          .map((ref) => checkBaseName(ref, storeDir, at));
        break;
      case 'Deriver':
        if (value !== 'unknown-deriver') fields.deriver = checkBaseName(value, storeDir, at);
        break;
      case 'System':
        fields.system = value;
        break;
      case 'Sig':
        (fields.sigs as string[]).push(value);
        break;
      case 'CA':
        if (fields.ca !== undefined) throw corrupt('CA given twice', pos);
        if (value !== '') fields.ca = value;
        break;
      default:
        break;
    }
    pos = eol + 1;
  }
  if (fields.storePath === undefined) throw corrupt('no StorePath');
  if (fields.narHash === undefined) throw corrupt('no NarHash');
  if (!fields.url) throw corrupt('no URL');
  if (!fields.narSize) throw corrupt('no NarSize');
  if (!fields.compression) fields.compression = 'bzip2';
  return fields as unknown as NarInfo;
}

export function printNarInfo(info: NarInfo): string {
  const lines = [
    `StorePath: ${info.storePath}`,
    `URL: ${info.url}`,
    `Compression: ${info.compression}`,
    ...(info.fileHash ? [`FileHash: ${printHash(info.fileHash, 'nix32', true)}`] : []),
    ...(info.fileSize !== undefined ? [`FileSize: ${info.fileSize}`] : []),
    `NarHash: ${printHash(info.narHash, 'nix32', true)}`,
    `NarSize: ${info.narSize}`,
    `References: ${sortNix(new Set(info.references)).join(' ')}`,
    ...(info.deriver ? [`Deriver: ${info.deriver}`] : []),
    ...(info.system ? [`System: ${info.system}`] : []),
    ...sortNix(new Set(info.sigs)).map((sig) => `Sig: ${sig}`),
    ...(info.ca ? [`CA: ${info.ca}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The fingerprint a narinfo's signatures sign. */
export function narInfoFingerprint(info: NarInfo, storeDir = defaultStoreDir): string {
  const references = info.references.map((base) => `${storeDir}/${base}`);
  return pathFingerprint(info.storePath, info.narHash, info.narSize, references, storeDir);
}
