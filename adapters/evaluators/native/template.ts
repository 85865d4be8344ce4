/**
 * The placeholders of a jobset string: `@{job:NAME}`, `@{job:NAME:OUTPUT}`, `@{source:PATH}`, and
 * `@@{` for a literal `@{`. Pure.
 */

/** A piece of a string: literal text or a reference to resolve. */
export type Piece =
  | string
  | { readonly kind: 'job'; readonly job: string; readonly output: string }
  | { readonly kind: 'source'; readonly path: string };

export type TemplateParse =
  | { readonly ok: true; readonly pieces: Piece[] }
  | { readonly ok: false; readonly message: string };

const placeholder = /@@\{|@\{([^}]*)\}?/g;

export function parseTemplate(text: string): TemplateParse {
  const pieces: Piece[] = [];
  let literal = '';
  let last = 0;
  for (const match of text.matchAll(placeholder)) {
    literal += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === '@@{') {
      literal += '@{';
      continue;
    }
    if (!match[0].endsWith('}')) return { ok: false, message: `unterminated placeholder '${match[0]}'` };
    const body = match[1]!;
    const colon = body.indexOf(':');
    const kind = body.slice(0, colon);
    const rest = body.slice(colon + 1);
    let piece: Piece | undefined;
    if (colon > 0 && kind === 'source' && rest !== '') piece = { kind: 'source', path: rest };
    if (colon > 0 && kind === 'job' && rest !== '') {
      const [job, output = 'out', ...extra] = rest.split(':');
      if (job && output && extra.length === 0) piece = { kind: 'job', job, output };
    }
    if (!piece) {
      return {
        ok: false,
        message: `unknown placeholder '${match[0]}' (use @{job:NAME}, @{job:NAME:OUTPUT}, @{source:PATH}, or @@{ for a literal @{)`,
      };
    }
    if (literal !== '') pieces.push(literal);
    literal = '';
    pieces.push(piece);
  }
  literal += text.slice(last);
  if (literal !== '') pieces.push(literal);
  return { ok: true, pieces };
}
