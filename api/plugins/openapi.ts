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
  });
  await fastify.register(swaggerUi, { routePrefix: '/api/docs' });
  fastify.get('/api/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(openapi, { name: 'tally-openapi', fastify: '5.x' });
