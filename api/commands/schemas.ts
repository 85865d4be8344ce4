/** Schema pieces every command route shares: `If-Match`, the optional `why`, and the command result. */
import { type Static, Type } from 'typebox';

/** `If-Match: <revision>` (quoted or not, as the `ETag` of a previous answer): refuse unless the stream is there. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      pattern: '^(W/)?"?[0-9]{1,15}"?$',
      description:
        'The stream revision the change is based on (an ETag of an earlier answer); 409 when stale',
    }),
  ),
});

/** The optional reason a person gives for a change. */
export const WhyBody = Type.Union(
  [Type.Object({ why: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) }), Type.Null()],
  { description: 'Optional: why (recorded in the event)' },
);
export type WhyBody = Static<typeof WhyBody>;

/** What every command answers: the stream written, its revision (also the `ETag`) and the append's position. */
export const CommandResult = Type.Object({
  stream: Type.String(),
  revision: Type.Integer({ description: "The stream's revision afterwards; the ETag for a next If-Match" }),
  position: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The $all position of the events written (also x-tally-position); null when nothing changed',
  }),
  events: Type.Array(Type.String(), { description: 'The types of the events written, in order' }),
});
export type CommandResult = Static<typeof CommandResult>;
