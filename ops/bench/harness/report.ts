/** Renders a suite's rows as a plain-text table (stdout) and as JSON (a file under the OS temp dir). */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatBaseline, formatFigure, formatTarget } from './format.ts';
import type { BenchmarkResult } from './types.ts';

const headers = ['Benchmark', 'Result', 'Target', 'Status', 'Baseline (same run)'] as const;

export function renderTable(suiteName: string, results: readonly BenchmarkResult[]): string {
  const rows = results.map((result) => [
    result.name,
    result.figure ? formatFigure(result.figure) : '—',
    result.target ? formatTarget(result.target) : '—',
    result.outcome,
    result.baselines.map(formatBaseline).join('; ') || '—',
  ]);
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [`Suite: ${suiteName}`, line(headers), rule, ...rows.map(line), ...renderNotes(results)].join('\n');
}

/** Notes, skipped baselines and crash messages, below the table so the rows stay one line each. */
function renderNotes(results: readonly BenchmarkResult[]): string[] {
  const lines: string[] = [];
  const seenBaselines = new Set<string>();
  for (const result of results) {
    if (result.note) lines.push(`  ${result.name}: ${result.note}`);
    if (result.error) lines.push(`  ${result.name}: CRASHED: ${result.error}`);
    for (const baseline of result.baselines) {
      const key = `${baseline.kind}:${baseline.label}`;
      if (seenBaselines.has(key)) continue;
      seenBaselines.add(key);
      if (baseline.kind === 'skipped') lines.push(`  ${baseline.label} baseline skipped: ${baseline.reason}`);
      if (baseline.kind === 'crashed') lines.push(`  ${baseline.label} baseline CRASHED: ${baseline.error}`);
    }
  }
  return lines.length > 0 ? ['', 'Notes:', ...lines] : [];
}

/**
 * Writes `<tmp>/tally-bench-results/<suite>-latest.json` and returns its path. Under the temp dir
 * rather than the repository so results never show up as untracked files.
 */
export async function writeResults(suiteName: string, results: readonly BenchmarkResult[]): Promise<string> {
  const dir = join(tmpdir(), 'tally-bench-results');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${suiteName}-latest.json`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem() };
  const document = {
    suite: suiteName,
    finishedAt: new Date().toISOString(),
    node: process.version,
    machine,
    results,
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}
