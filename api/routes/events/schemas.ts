/** Schemas of `GET /api/events`, the live event feed (Server-Sent Events). */
import { Type } from 'typebox';
import { problemResponses } from '../../problem.ts';

/** Up to 15 digits: every such number is exact in a JavaScript number. */
const position = '^(?:0|[1-9][0-9]{0,14})$';

export const FeedQuery = Type.Object({
  category: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'Comma-separated categories: spec, checkout, eval, build, …',
    }),
  ),
  type: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated event types' })),
  from: Type.Optional(
    Type.String({
      pattern: `^(?:start|end|${position.slice(1, -1)})$`,
      description: 'start, end (the default) or a position to resume after (exclusive)',
    }),
  ),
});

export const FeedHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ pattern: position, description: 'The last position received; wins over ?from' }),
  ),
});

export const feedSchema = {
  summary: 'A live feed of events (text/event-stream): id is the position, event the type, data the JSON',
  tags: ['events'],
  querystring: FeedQuery,
  headers: FeedHeaders,
  produces: ['text/event-stream'],
  response: {
    200: {
      description: 'Server-Sent Events: `id: <position>`, `event: <type>`, `data: <event JSON>`',
      content: { 'text/event-stream': { schema: Type.String() } },
    },
    ...problemResponses(400, 500, 503),
  },
};
