/**
 * OpenAPI: the document at `GET /api/openapi.json`, built from the routes' schemas, and Swagger UI at
 * `/api/docs`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface OpenApiOptions {
  readonly version: string;
}

interface MediaTypes {
  [mediaType: string]: { schema?: unknown };
}
interface Operation {
  requestBody?: unknown;
  responses?: Record<string, { description?: string; content?: MediaTypes }>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
}

/**
 * What Fastify itself answers a request with a body, before the route's own schema applies: a route
 * that takes none is refused a body of a type it cannot parse all the same.
 */
const bodyRefusals: Readonly<Record<string, string>> = {
  '413': 'The body is larger than the server accepts',
  '415': 'The body is not application/json',
};

/** The methods whose requests Fastify reads a body of, whether or not the route declares one. */
const bodyMethods = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The generated document as the server answers: a refusal's body is `application/problem+json`
 * whatever the route's success type (the generator files each status under the route's own type), and
 * every route of a method with a body can be refused for its size or content type.
 */
function describeProblems(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const responses = operation.responses ?? {};
      let problemSchema: unknown;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || !response.content) continue;
        const schema = Object.values(response.content)[0]?.schema;
        problemSchema ??= schema;
        response.content = { 'application/problem+json': { schema } };
      }
      if (!bodyMethods.has(method) || problemSchema === undefined) continue;
      for (const [status, description] of Object.entries(bodyRefusals)) {
        responses[status] ??= {
          description,
          content: { 'application/problem+json': { schema: problemSchema } },
        };
      }
    }
  }
  return document;
}

async function openapi(fastify: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tally',
        description:
          'The HTTP API of Tally, an event-sourced CI build farm for Nix and Guix. Reads are public; ' +
          'writes need a bearer token. Errors are application/problem+json with a stable code.',
        version: options.version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [],
    },
    transformObject: (documents) =>
      describeProblems(('openapiObject' in documents ? documents.openapiObject : {}) as OpenApiDocument),
  });
  await fastify.register(swaggerUi, { routePrefix: '/api/docs' });
  fastify.get('/api/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(openapi, { name: 'tally-openapi', fastify: '5.x' });
