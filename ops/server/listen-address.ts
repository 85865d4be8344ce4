/**
 * Where the server listens, as the rest of the machine sees it: the address commands reach it at, and
 * what a port or host it cannot listen on means for the user.
 */

/**
 * The address a command on this machine reaches the API at: a wildcard host (every interface) is
 * reached through loopback, and an IPv6 address goes in brackets.
 */
export function reachableUrl(host: string, port: number): string {
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}`;
}

/** A port the server cannot listen on, as an error that says which and what to do. */
export function listenProblem(error: unknown, host: string, port: number): Error | undefined {
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return coded(
      'TALLY_SERVE_PORT_IN_USE',
      `${where} is already in use: stop what listens there, or choose another --port`,
    );
  if (code === 'EACCES')
    return coded(
      'TALLY_SERVE_PORT_DENIED',
      `listening on ${where} is not allowed: choose a --port above 1023`,
    );
  if (code === 'EADDRNOTAVAIL')
    return coded('TALLY_SERVE_HOST_UNAVAILABLE', `${host} is not an address of this machine: check --host`);
  return undefined;
}

const coded = (code: string, message: string) => Object.assign(new Error(message), { code });
