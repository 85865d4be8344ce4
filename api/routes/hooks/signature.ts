/**
 * Checking a forge's webhook against the specification's secret, on the body's exact bytes: GitHub
 * (`X-Hub-Signature-256: sha256=<hex HMAC>`), Gitea and Forgejo (`X-Gitea-Signature` /
 * `X-Forgejo-Signature: <hex HMAC>`), GitLab (`X-Gitlab-Token: <secret>`). Comparisons take the
 * same time whatever matches.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Forge = 'github' | 'gitea' | 'gitlab';

const same = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The forge whose signature is valid, or undefined when none is (or none was sent). */
export function verifySignature(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  secret: string,
): Forge | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const github = header('x-hub-signature-256');
  if (github !== undefined) return same(github, `sha256=${hmac}`) ? 'github' : undefined;
  const gitea = header('x-gitea-signature') ?? header('x-forgejo-signature');
  if (gitea !== undefined) return same(gitea, hmac) ? 'gitea' : undefined;
  const gitlab = header('x-gitlab-token');
  if (gitlab !== undefined) return same(gitlab, secret) ? 'gitlab' : undefined;
  return undefined;
}
