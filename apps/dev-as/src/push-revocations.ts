import type Provider from 'oidc-provider';
import { tokenHash } from '../../../libs/cache/index.js';

/**
 * The development AS tells the edges about each access token it revokes, at
 * once: `POST <edge admin>/revocations {token_sha256}` (never the token
 * itself) with the shared admin secret. oidc-provider emits
 * `<kind>.destroyed` when a token is revoked; for an opaque token its `jti`
 * is the token's value.
 */
export function pushRevocations(provider: Provider, targets: readonly string[], secret: string): void {
  if (targets.length === 0) return;
  if (secret.length < 16) throw new Error('--push-revocations needs DEV_AS_PUSH_SECRET (at least 16 characters)');
  const push = (token: { jti?: string }) => {
    if (typeof token.jti !== 'string') return;
    const body = JSON.stringify({ token_sha256: tokenHash(token.jti) });
    for (const target of targets) {
      fetch(`${target}/revocations`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(2000) })
        .then((res) => { if (res.status !== 202) process.stderr.write(`revocation push to ${target}: HTTP ${res.status}\n`); },
          (err: Error) => process.stderr.write(`revocation push to ${target} failed: ${err.message}\n`));
    }
  };
  provider.on('access_token.destroyed', push);
  provider.on('client_credentials.destroyed', push);
}
