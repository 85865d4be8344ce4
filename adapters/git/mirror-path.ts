/**
 * Where the poller keeps its bare mirror of a channel's repository: one per URL under the data
 * directory, named by a hash of the URL so that credentials or odd characters in it never reach the
 * file system. The evaluation runner reads commits from the same mirror.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export function mirrorPath(dataDir: string, url: string): string {
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 32);
  return join(dataDir, 'git', `${digest}.git`);
}
