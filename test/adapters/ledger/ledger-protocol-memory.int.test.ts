import { startTestLedger } from '../../helpers/ledger.ts';
import { appendSuite } from './protocol/append.ts';
import { deleteSuite } from './protocol/delete.ts';
import { readSuite } from './protocol/read.ts';
import { subscribeSuite } from './protocol/subscribe.ts';

const start = () => startTestLedger({ memory: true });
appendSuite('memory', start).run();
readSuite('memory', start).run();
subscribeSuite('memory', start).run();
deleteSuite('memory', start).run();
