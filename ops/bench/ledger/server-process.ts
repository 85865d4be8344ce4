/**
 * The ledger under test as its own process (`tally ledger serve`), so the load generator and the
 * server do not share a CPU or an event loop. Its JSON log goes to a file in the temp dir; the line
 * carrying its `esdb://` URL says it is serving.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { withTimeout } from '../harness/timeout.ts';

const repositoryRoot = new URL('../../../', import.meta.url).pathname;
const cliBin = join(repositoryRoot, 'ops/cli/bin.js');

export interface LedgerProcessOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Appended to, so the log of every start of one ledger ends up in one file. */
  readonly logPath: string;
  readonly timeoutMs: number;
}

/** A running ledger process. */
export interface LedgerProcess {
  readonly pid: number;
  readonly url: string;
  /** Whether the process has not exited yet. */
  alive(): boolean;
  /**
   * Sends `signal` and resolves once the process has exited, with how long that took. If it has not
   * exited after `timeoutMs`, kills it and rejects.
   */
  stop(signal: 'SIGTERM' | 'SIGKILL', timeoutMs?: number): Promise<{ ms: number; exit: string }>;
}

/** Spawns the ledger and resolves once it has logged its URL; rejects (and kills it) if it exits or times out first. */
export function spawnLedger(options: LedgerProcessOptions): Promise<LedgerProcess> {
  // The executable itself, so that its node options apply as when an operator runs `tally`.
  const child = spawn(
    cliBin,
    ['ledger', 'serve', '--data', options.dataDir, '--port', String(options.port)],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = createWriteStream(options.logPath, { flags: 'a' });
  child.stderr.pipe(log, { end: false });
  const recent: string[] = [];
  // 'close', not 'exit': it comes after the last stdout line, so nothing is written to a closed log.
  const exited = new Promise<string>((resolve) =>
    child.once('close', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  exited.then(() => log.end());

  return new Promise((resolve, reject) => {
    let serving = false;
    const fail = (why: string) => {
      if (serving) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`ledger ${why}; its last log lines (${options.logPath}):\n${recent.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`did not serve within ${options.timeoutMs} ms`), options.timeoutMs);
    void exited.then((exit) => fail(`exited before serving (${exit})`));
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      const url = /esdb:\/\/[^\s"]+/.exec(line)?.[0];
      if (url && child.pid !== undefined && !serving) {
        serving = true;
        clearTimeout(timer);
        resolve(runningLedger(child, child.pid, url, exited));
      }
    });
    child.once('error', (error) => fail(`could not be spawned: ${error.message}`));
  });
}

function runningLedger(
  child: ChildProcess,
  pid: number,
  url: string,
  exited: Promise<string>,
): LedgerProcess {
  let running = true;
  void exited.then(() => {
    running = false;
  });
  return {
    pid,
    url,
    alive: () => running,
    async stop(signal, timeoutMs = 30_000) {
      const started = performance.now();
      if (running) child.kill(signal);
      try {
        const exit = await withTimeout(exited, timeoutMs, `the ledger's exit after ${signal}`);
        return { ms: performance.now() - started, exit };
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
    },
  };
}
