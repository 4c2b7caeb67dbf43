/**
 * `--introspect-jwt-access-tokens`: oidc-provider 8 keeps no record of the
 * RFC 9068 JWT access tokens it issues, so its introspection answers
 * `active: false` for them and its revocation cannot revoke them. This keeps
 * a record: each issued JWT client-credentials token is stored in the
 * provider's own storage under its `jti` (the record an opaque token would
 * have), and a JWT presented to introspection or revocation is looked up by
 * its `jti` once its signature, issuer and `typ` check out against this AS's
 * key. oidc-provider's own endpoints then answer (and revoke) as they do for
 * opaque tokens. Development only.
 */
import type Provider from 'oidc-provider';
import { jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { MapAdapter } from './map-adapter.js';

interface IssuedToken {
  jti: string; iat?: number; exp?: number;
  /** seconds (oidc-provider computes exp from it when the record is written, without keeping it on the token) */
  expiration: number;
  constructor: { IN_PAYLOAD: readonly string[] };
  resourceServer?: { accessTokenFormat?: string };
}

export function registerJwtAccessTokens(provider: Provider, publicKey: CryptoKey | KeyObject, issuer: string): void {
  const store = new MapAdapter('ClientCredentials');
  provider.on('client_credentials.issued', (token: IssuedToken) => {
    if (token.resourceServer?.accessTokenFormat !== 'jwt') return;
    const record: Record<string, unknown> = {};
    for (const key of token.constructor.IN_PAYLOAD) {
      const value = (token as unknown as Record<string, unknown>)[key];
      if (value !== undefined) record[key] = value;
    }
    const now = Math.floor(Date.now() / 1000);
    record.iat ??= now;
    record.exp ??= now + token.expiration;
    void store.upsert(token.jti, record, (record.exp as number) - now);
  });
  MapAdapter.structuredTokenId = async (value) => {
    try {
      const { payload } = await jwtVerify(value, publicKey, { issuer, typ: 'at+jwt' });
      return typeof payload.jti === 'string' ? payload.jti : undefined;
    } catch {
      return undefined;
    }
  };
}
