import { startTestLedger } from '../../helpers/ledger.ts';
import { appendSuite } from './protocol/append.ts';
import { deleteSuite } from './protocol/delete.ts';
import { readSuite } from './protocol/read.ts';
import { subscribeSuite } from './protocol/subscribe.ts';

// The same protocol suite as the memory ledger's, over the durable file log.
const start = () => startTestLedger();
appendSuite('file', start).run();
readSuite('file', start).run();
subscribeSuite('file', start).run();
deleteSuite('file', start).run();
