/**
 * Lets `close()` finish promptly. Node's `server.close()` closes idle keep-alive sockets but waits
 * (up to its headers timeout, a minute) for sockets that were opened and never sent a request, which
 * HTTP clients open speculatively; such a socket has nothing to lose, so it is destroyed on close.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function connections(fastify: FastifyInstance): Promise<void> {
  const unused = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  fastify.server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  fastify.addHook('preClose', async () => {
    for (const socket of unused) socket.destroy();
    unused.clear();
  });
}

export default fp(connections, { name: 'tally-connections', fastify: '5.x' });
