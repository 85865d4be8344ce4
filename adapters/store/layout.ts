/**
 * Where the file store keeps each thing under its state directory (see `file-store.ts`), in one
 * place for the store itself and for the batch operations a garbage collection uses.
 */
import { join } from 'node:path';

export function fileStoreLayout(stateDir: string) {
  const dirs = {
    valid: join(stateDir, 'valid'),
    nar: join(stateDir, 'nar'),
    narOf: join(stateDir, 'nar-of'),
    logs: join(stateDir, 'logs'),
    roots: join(stateDir, 'roots'),
    tmp: join(stateDir, 'tmp'),
  };
  return {
    dirs,
    /** The record that makes the path with this hash part valid. */
    recordFile: (hashPart: string) => join(dirs.valid, `${hashPart}.json`),
    /** The compressed NAR named by its file hash (`sha256:<nix32>` or the bare nix32). */
    narFile: (fileHash: string) => join(dirs.nar, `${fileHash.replace(/^sha256:/, '')}.nar.zst`),
    /** The path's own hard link to its compressed NAR. */
    narOf: (hashPart: string) => join(dirs.narOf, `${hashPart}.nar.zst`),
  };
}

export type FileStoreLayout = ReturnType<typeof fileStoreLayout>;
