/** Child of the exec-thread test: runs one command off the event loop, prints its output, and ends. */
import { execFileOffThread } from '../../../adapters/processes/exec-thread.ts';

const { stdout } = await execFileOffThread('sh', ['-c', 'printf done']);
console.log(stdout);
