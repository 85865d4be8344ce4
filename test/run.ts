/**
 * The test runner behind `npm test`: runs every `*.test.ts` file under test/ in its own Node process
 * (uvu has no isolation between files, and a crashed file must not hide the others), two at a time,
 * and ends with the one line CI reads: `N passed, N failed`.
 *
 * Usage: tsx test/run.ts [substring…]   (only files whose path contains one of the substrings)
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  crashed: boolean;
}

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const fileTimeoutMs = Number(process.env.TALLY_TEST_FILE_TIMEOUT_MS ?? 600_000);

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Unit files first (fast feedback), then integration, then end-to-end. */
function tierOf(file: string): number {
  if (file.endsWith('.unit.test.ts')) return 0;
  if (file.endsWith('.int.test.ts')) return 1;
  return 2;
}

const stripAnsi = (text: string) =>
  text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

function count(label: string, text: string): number {
  const match = new RegExp(`${label}:\\s+(\\d+)`).exec(text);
  return match ? Number(match[1]) : 0;
}

function runFile(file: string): Promise<FileResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      output += `\n[runner] killed after ${fileTimeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = stripAnsi(output);
      const total = count('Total', text);
      const passed = count('Passed', text);
      const skipped = count('Skipped', text);
      const hasSummary = /Total:\s+\d+/.test(text);
      // uvu's Total leaves skipped tests out, so every test it counted either passed or failed.
      const crashed = !hasSummary || (code !== 0 && passed === total);
      const failed = crashed ? Math.max(1, total - passed) : total - passed;
      // uvu prints nothing for a test whose promise never settles once nothing else keeps the process
      // alive: the file just ends. Say so, or its failure would show only as a missing summary.
      const why = hasSummary
        ? ''
        : `\n[runner] ended (exit ${code}) before uvu's summary: the test after the last mark above never ` +
          'finished (a promise that never settles, with nothing left to keep the process alive) or the process died\n';
      resolve({ file: relative(root, file), passed, failed, skipped, output: text + why, crashed });
    });
  });
}

/** Static checks run beside the tests and count as one test each, so the closing line covers them. */
const checks: Array<{ name: string; command: string[] }> = [
  { name: 'typecheck (tsc)', command: ['node_modules/.bin/tsc', '-p', '.'] },
  { name: 'lint and format (biome)', command: ['node_modules/.bin/biome', 'check', '.'] },
];

function runCheck(check: { name: string; command: string[] }): Promise<FileResult> {
  return new Promise((resolve) => {
    const [command, ...args] = check.command;
    const child = spawn(command!, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => {
      const ok = code === 0;
      resolve({ file: check.name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, output, crashed: !ok });
    });
  });
}

/** The lines a file printed about why it skipped tests (a passing file's other output is not shown). */
function skipReasons(output: string): string {
  const reasons = stripAnsi(output)
    .split('\n')
    .filter(
      (line) => /skip|not installed|not found/i.test(line) && !/^\s*(Skipped|Total|Passed):/.test(line),
    );
  return reasons.length > 0 ? reasons.join('\n') : '(the file printed no reason)';
}

async function main(): Promise<void> {
  const files = findTests(join(root, 'test'))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort((a, b) => tierOf(a) - tierOf(b) || a.localeCompare(b));
  const parallel = Math.max(1, Math.min(Number(process.env.TALLY_TEST_JOBS ?? cpus().length), 4));
  const results: FileResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const file = files[next++]!;
      const started = Date.now();
      const result = await runFile(file);
      results.push(result);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const mark = result.failed > 0 ? 'FAIL' : 'ok  ';
      const skipped = result.skipped > 0 ? `, ${result.skipped} skipped` : '';
      console.log(
        `${mark} ${result.file}  ${result.passed} passed, ${result.failed} failed${skipped} (${seconds}s)`,
      );
      if (result.failed > 0) console.log(result.output.replace(/^/gm, '     | '));
      else if (result.skipped > 0) console.log(skipReasons(result.output).replace(/^/gm, '     | '));
    }
  }
  const runChecks = filters.length === 0 || process.env.TALLY_TEST_CHECKS === '1';
  const checked = runChecks ? Promise.all(checks.map(runCheck)) : Promise.resolve([]);
  await Promise.all(Array.from({ length: parallel }, worker));
  for (const result of await checked) {
    results.push(result);
    console.log(`${result.failed > 0 ? 'FAIL' : 'ok  '} ${result.file}`);
    if (result.failed > 0) console.log(stripAnsi(result.output).replace(/^/gm, '     | '));
  }
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const skipped = results.reduce((sum, r) => sum + r.skipped, 0);
  if (files.length === 0) console.log('no test file matched');
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
}

await main();
