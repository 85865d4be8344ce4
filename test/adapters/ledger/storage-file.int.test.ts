/** The storage contract against the file backend, on real disk, with small segments so rollover happens too. */
import { openFileStorage } from '../../../adapters/ledger/storage/file/index.ts';
import { tempDir } from '../../helpers/uvu.ts';
import { storageContract } from './storage.contract.ts';

storageContract('file ledger storage', async () => {
  const directory = await tempDir('tally-ledger-');
  const storage = await openFileStorage({ directory: directory.path, segmentSize: 4096 });
  return {
    storage,
    async cleanup() {
      await storage.close();
      await directory.cleanup();
    },
  };
});
