/**
 * Checking every valid path against its record: the tree on disk must serialise to the recorded NAR
 * hash and size, and the compressed NAR the cache serves must have its recorded file hash and size.
 * Works through the port, so it checks any store.
 */
import type { Store, ValidPathInfo } from './store.ts';
import { createSha256 } from './store-paths.ts';

/** One path that failed verification, and why. */
export interface VerifyProblem {
  readonly path: string;
  /** Why, in words: which hash or size differs, or what could not be read. */
  readonly detail: string;
}

/** What a verification found. */
export interface VerifyReport {
  readonly checked: number;
  readonly problems: readonly VerifyProblem[];
}

async function digest(stream: AsyncIterable<Uint8Array>): Promise<{ hash: string; size: number }> {
  const hasher = createSha256();
  for await (const chunk of stream) hasher.update(chunk);
  return { hash: hasher.digest(), size: hasher.size };
}

/** The problem with one valid path, or undefined when it is intact. */
export async function verifyPath(store: Store, info: ValidPathInfo): Promise<string | undefined> {
  try {
    const nar = await digest((await store.narStream(info.path)).stream);
    if (nar.hash !== info.narHash || nar.size !== info.narSize) {
      return `its content has NAR hash ${nar.hash} (${nar.size} bytes), but ${info.narHash} (${info.narSize} bytes) was recorded`;
    }
    const file = await digest((await store.narStream(info.path, { compressed: true })).stream);
    if (file.hash !== info.file.fileHash || file.size !== info.file.fileSize) {
      return `its compressed NAR has hash ${file.hash} (${file.size} bytes), but ${info.file.fileHash} was recorded`;
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Verifies every valid path; `onProgress` is called after each with the count done and the total. */
export async function verifyStore(
  store: Store,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<VerifyReport> {
  const infos: ValidPathInfo[] = [];
  for await (const info of store.list()) infos.push(info);
  const problems: VerifyProblem[] = [];
  for (const [index, info] of infos.entries()) {
    const detail = await verifyPath(store, info);
    if (detail !== undefined) problems.push({ path: info.path, detail });
    onProgress(index + 1, infos.length);
  }
  return { checked: infos.length, problems };
}
