/** The file backend of the ledger's storage port. */
export {
  type FileLedgerStorage,
  type FileStorageOptions,
  type FileStorageStats,
  openFileStorage,
  scanChunkSize,
} from './file-storage.ts';
export { type LogLayout, openLogScanner } from './log-layout.ts';
export type { RecordRun } from './record-reader.ts';
