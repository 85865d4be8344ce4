/** Schema pieces every command route shares: `If-Match`, the optional `why`, and the command result. */
import { type Static, Type } from 'typebox';
import { ifMatchRevision } from './if-match.ts';

/** `If-Match: <revision>` on a route that writes one stream: refuse unless the stream is at that revision. */
export function ifMatchHeader(
  description = 'The stream revision the change is based on (the ETag of an earlier answer); 409 when stale',
) {
  return Type.Object({
    'if-match': Type.Optional(Type.String({ pattern: ifMatchRevision.source, description })),
  });
}

export const IfMatchHeaders = ifMatchHeader();

/**
 * `If-Match` on a route where no revision can be named (it writes streams no earlier answer showed):
 * refused with 400 rather than ignored, since a client sending it expects a check that cannot happen.
 */
export function ifMatchRefused(why: string) {
  return Type.Object({
    'if-match': Type.Optional(Type.String({ description: `Refused (400): ${why}` })),
  });
}

/** The optional reason a person gives for a change. */
export const WhyBody = Type.Union(
  [
    Type.Object(
      {
        why: Type.Optional(
          // Lines and tabs, but no other control characters: a reason is shown on terminals and pages.
          Type.String({
            minLength: 1,
            maxLength: 1000,
            pattern: '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Optional: why (recorded in the event)' },
);
export type WhyBody = Static<typeof WhyBody>;

/** What every command answers: the stream written, its revision (also the `ETag`) and the append's position. */
export const CommandResult = Type.Object({
  stream: Type.String(),
  revision: Type.Integer({ description: "The stream's revision afterwards; the ETag for a next If-Match" }),
  position: Type.Union([Type.Integer(), Type.Null()], {
    description:
      'The $all position of the events written (also x-tally-position); null when nothing changed. ' +
      'With x-tally-read-models-behind: 1 the write is recorded but the read models had not reached it ' +
      'when this answer was sent: wait for a read at or past this position rather than writing again',
  }),
  events: Type.Array(Type.String(), { description: 'The types of the events written, in order' }),
});
export type CommandResult = Static<typeof CommandResult>;
