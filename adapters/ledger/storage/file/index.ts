/** The file backend of the ledger's storage port. */
export {
  type FileLedgerStorage,
  type FileStorageOptions,
  type FileStorageStats,
  openFileStorage,
} from './file-storage.ts';
export type { RecordRun } from './record-reader.ts';
