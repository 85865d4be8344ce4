/**
 * The token a request presents: `Authorization: Bearer TOKEN`, or HTTP Basic with the token as the
 * password, which is how Nix sends credentials (from a netrc file) when `nix copy --to` uploads to the
 * binary cache; the user name is not read.
 */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  if (authorization.startsWith('Bearer ')) return authorization.slice('Bearer '.length);
  if (!authorization.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
