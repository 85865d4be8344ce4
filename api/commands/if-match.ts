/**
 * A revision as `If-Match` carries it: bare (`3`), as the `ETag` of an earlier answer (`"3"`), or weak
 * (`W/"3"`). The API's header schemas and `ifMatchOf`, and the CLI's `--if-match`, all read it here.
 * Free of schema code, so the command line loads it without the API.
 */

/** The digits are the first or the second group. */
export const ifMatchRevision = /^(?:([0-9]{1,15})|(?:W\/)?"([0-9]{1,15})")$/;

/** What to send instead of an `If-Match` that names no revision. */
export const ifMatchHint =
  'send the ETag of an earlier answer ("3"), or no If-Match to write on the current revision';

/** The revision `text` names in one of those forms, or undefined. */
export function revisionOfIfMatch(text: string): number | undefined {
  const match = ifMatchRevision.exec(text);
  return match ? Number(match[1] ?? match[2]) : undefined;
}
