/** The storage contract against the memory backend. */
import { createMemoryStorage } from '../../../adapters/ledger/storage/memory.ts';
import { storageContract } from './storage.contract.ts';

storageContract('memory ledger storage', async () => {
  const storage = createMemoryStorage();
  return { storage, cleanup: () => storage.close() };
});
