/** Schemas of `GET /healthz`. */
import { type Static, Type } from 'typebox';

export const Health = Type.Object({
  status: Type.Enum(['ok', 'starting', 'degraded', 'unavailable'], {
    description:
      'unavailable (503): the event store does not answer; starting: read models are still loading their ' +
      'snapshots (their lag means nothing yet); degraded: the read models lag behind',
  }),
  eventStore: Type.Object({
    reachable: Type.Boolean(),
    latencyMs: Type.Number(),
  }),
  projections: Type.Union([
    Type.Object({
      caughtUp: Type.Boolean(),
      behindMs: Type.Number(),
      appliedPosition: Type.Integer(),
      headPosition: Type.Integer(),
      behind: Type.Array(Type.String(), {
        description:
          'Read models short of the last event: one rebuilt after its version changed, or all while catching up',
      }),
      skippedEvents: Type.Integer(),
      /** Read models still loading their snapshots after a start. */
      loading: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
});
export type Health = Static<typeof Health>;

export const healthSchema = {
  summary: 'Whether the server can serve: the event store answers, and how far the read models lag',
  tags: ['health'],
  response: { 200: Health, 503: Health },
};
