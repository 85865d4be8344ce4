/**
 * A specification's lines in the jobsets read model: each branch of a pattern channel keeps its own
 * last evaluation and latest completed ones, so that weather compares evaluations of one branch.
 */
import { own } from '../../domain/shared/own.ts';
import type { LastEvaluation, LineProgress, SpecProgress } from './state.ts';

/** The progress with one line replaced by `change(line)`; the same progress when the line is not there. */
export function changeLine(
  doc: SpecProgress,
  id: string,
  change: (line: LineProgress) => LineProgress,
): SpecProgress {
  const line = own(doc.lines, id);
  if (!line) return doc;
  const next = change(line);
  return next === line ? doc : { ...doc, lines: { ...doc.lines, [id]: next } };
}

/**
 * The progress with evaluation `id`'s last-evaluation record changed, in the specification and in the
 * evaluation's line, wherever it is still the last one.
 */
export function changeLastEvaluation(
  doc: SpecProgress,
  id: string,
  change: (last: LastEvaluation) => LastEvaluation,
): SpecProgress {
  const line = own(doc.running, id)?.line;
  const inLine =
    line === undefined
      ? doc
      : changeLine(doc, line, (progress) =>
          progress.lastEvaluation?.id === id
            ? { ...progress, lastEvaluation: change(progress.lastEvaluation) }
            : progress,
        );
  return doc.lastEvaluation?.id === id ? { ...inLine, lastEvaluation: change(doc.lastEvaluation) } : inLine;
}

/**
 * The progress without the lines of a deleted branch: they leave the current view. Were the latest
 * completed evaluation one of theirs, the latest of the lines left takes its place.
 */
export function withoutBranch(doc: SpecProgress, channel: string, branch: string): SpecProgress {
  const kept = Object.entries(doc.lines).filter(([, line]) => own(line.branches, channel) !== branch);
  if (kept.length === Object.keys(doc.lines).length) return doc;
  const lines = Object.fromEntries(kept);
  const { latestLine: _, ...rest } = doc;
  const latestLine =
    doc.latestLine !== undefined && own(lines, doc.latestLine) ? doc.latestLine : latestOf(lines);
  return latestLine === undefined ? { ...rest, lines } : { ...rest, lines, latestLine };
}

/** The line whose latest completed evaluation finished last, if any has one. */
function latestOf(lines: Readonly<Record<string, LineProgress>>): string | undefined {
  let latest: string | undefined;
  let finishedAt = '';
  for (const [id, line] of Object.entries(lines))
    if (line.latest && line.latest.finishedAt >= finishedAt) {
      latest = id;
      finishedAt = line.latest.finishedAt;
    }
  return latest;
}
