/**
 * Unpacks a NAR's events onto disk as Nix does: files 0444 (0555 when executable), directories 0555
 * once complete, every timestamp 1. The names come from the NAR parser, which refuses `..`, `/` and
 * NUL, so nothing is written outside `root`.
 */
import type { FileHandle } from 'node:fs/promises';
import { chmod, lutimes, mkdir, open, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { NarEvent, NarPath } from '../../domain/derivation/index.ts';
import { writeAll } from './compressed-nar.ts';

/** Receives the events of one NAR, in order, and writes them under `root`. */
export interface NarRestorer {
  write(event: NarEvent): Promise<void>;
  /** Closes the last file; call once after the last event. */
  end(): Promise<void>;
}

export function createNarRestorer(root: string): NarRestorer {
  const at = (path: NarPath) => (path.length === 0 ? root : join(root, ...path));
  let file: { handle: FileHandle; path: string; executable: boolean } | undefined;

  async function closeFile(): Promise<void> {
    if (!file) return;
    const { handle, path, executable } = file;
    file = undefined;
    await handle.close();
    await chmod(path, executable ? 0o555 : 0o444);
    await lutimes(path, 1, 1);
  }

  return {
    async write(event) {
      if (event.type !== 'contents') await closeFile();
      switch (event.type) {
        case 'directory':
          await mkdir(at(event.path), { mode: 0o755 });
          return;
        case 'directory-end':
          await chmod(at(event.path), 0o555);
          await lutimes(at(event.path), 1, 1);
          return;
        case 'file': {
          const path = at(event.path);
          file = { handle: await open(path, 'wx', 0o644), path, executable: event.executable };
          return;
        }
        case 'contents':
          if (file) await writeAll(file.handle, event.chunk);
          return;
        case 'symlink':
          await symlink(event.target, at(event.path));
          await lutimes(at(event.path), 1, 1);
          return;
        default:
          return unreachable(event);
      }
    },
    end: closeFile,
  };
}

function unreachable(value: never): never {
  throw new Error(`unexpected NAR event ${JSON.stringify(value)}`);
}
