/**
 * A process that starts an evaluator child (`runChild`, no pid namespace) running `sleep DURATION`,
 * prints "started" once it runs, and waits to be killed: the test kills it with SIGKILL, as a server
 * can be, and looks for the sleep.
 *
 *   node --import tsx run-child-then-die.ts DURATION
 */
import { runChild } from '../../../adapters/evaluators/child.ts';

const [duration] = process.argv.slice(2);
void runChild('/bin/sleep', [duration!], {
  timeoutMs: 600_000,
  outputBytes: 1 << 20,
  ownPidNamespace: false,
});
setTimeout(() => process.stdout.write('started\n'), 200);
setInterval(() => undefined, 1000);
