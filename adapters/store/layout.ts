/**
 * Where the file store keeps each thing under its state directory (see `file-store.ts`), in one
 * place for the store itself and for the batch operations a garbage collection uses.
 */
import { join, resolve } from 'node:path';

export function fileStoreLayout(stateDir: string) {
  const state = resolve(stateDir);
  const dirs = {
    nar: join(state, 'nar'),
    logs: join(state, 'logs'),
    roots: join(state, 'roots'),
    tmp: join(state, 'tmp'),
  };
  return {
    dirs,
    /** The valid-path log (`valid-log.ts`) and the lock its writers hold. */
    validLog: join(state, 'valid.log'),
    lock: join(state, 'valid.lock'),
    /** Where an earlier layout kept a record file and a NAR link per path (moved into the log). */
    legacy: { valid: join(state, 'valid'), narOf: join(state, 'nar-of') },
    /** A compressed NAR kept as a file of its own, named by its file hash (`sha256:<nix32>` or the nix32). */
    narFile: (fileHash: string) => join(dirs.nar, `${fileHash.replace(/^sha256:/, '')}.nar.zst`),
  };
}

export type FileStoreLayout = ReturnType<typeof fileStoreLayout>;

/** Compressed NARs up to this size are kept inside the valid-path log rather than as files. */
export const inlineNarLimit = 64 * 1024;
