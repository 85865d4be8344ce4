/**
 * A valid path as the narinfo the cache serves: Nix's format, signed with the farm's key over the
 * path's fingerprint. Signing costs more than everything else in a narinfo request, so the text is
 * kept per path (records never change while a path stays valid) in a bounded memo.
 */
import type { ValidPathInfo } from '../../../adapters/store/store.ts';
import {
  parseHash,
  pathFingerprint,
  printNarInfo,
  type SecretKey,
  signDetached,
  storePathBaseName,
} from '../../../domain/derivation/index.ts';

const memoLimit = 50_000;

/** Renders narinfo text for valid paths, memoised. */
export function createNarInfoRenderer(storeDir: string, key: SecretKey) {
  const memo = new Map<string, string>();

  function render(info: ValidPathInfo): string {
    const narHash = parseHash(info.narHash);
    const fingerprint = pathFingerprint(info.path, narHash, info.narSize, info.references, storeDir);
    const own = signDetached(key, fingerprint);
    return printNarInfo({
      storePath: info.path,
      url: `nar/${info.file.fileHash.replace(/^sha256:/, '')}.nar.zst`,
      compression: 'zstd',
      fileHash: parseHash(info.file.fileHash),
      fileSize: info.file.fileSize,
      narHash,
      narSize: info.narSize,
      references: info.references.map(storePathBaseName),
      ...(info.deriver !== undefined && { deriver: storePathBaseName(info.deriver) }),
      sigs: [...info.sigs.filter((sig) => !sig.startsWith(`${key.name}:`)), own],
      ...(info.ca !== undefined && { ca: info.ca }),
    });
  }

  return (info: ValidPathInfo): string => {
    // The registration time tells a path re-registered after removal from its old record.
    const memoKey = `${info.path} ${info.registeredAt} ${info.narHash}`;
    let text = memo.get(memoKey);
    if (text === undefined) {
      text = render(info);
      if (memo.size >= memoLimit) memo.clear();
      memo.set(memoKey, text);
    }
    return text;
  };
}
