/** Number and figure formatting for the results table. */
import type { Baseline, Figure, Target } from './types.ts';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const precise = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Large numbers with thousands separators, small ones with two decimals: `12,345`, `1.37`. */
export function formatNumber(value: number): string {
  return Math.abs(value) >= 100 ? grouped.format(value) : precise.format(value);
}

export function formatFigure(figure: Figure): string {
  return `${formatNumber(figure.value)} ${figure.unit}`;
}

export function formatTarget(target: Target): string {
  const sign = target.comparison === 'at-least' ? '≥' : '≤';
  return `${sign} ${formatNumber(target.value)} ${target.unit}`;
}

export function formatBaseline(baseline: Baseline): string {
  switch (baseline.kind) {
    case 'measured':
      return `${baseline.label} ${formatFigure(baseline.figure)}`;
    case 'skipped':
      return `${baseline.label} skipped`;
    case 'crashed':
      return `${baseline.label} crashed`;
    default:
      return unreachable(baseline);
  }
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
