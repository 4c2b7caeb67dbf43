import { Hono, type Context } from 'hono';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { tokenHash } from '../cache/index.js';
import type { Revocation } from './revocation-store.js';
import type { RevocationService } from './revocation-service.js';

export interface SetReceiverOptions {
  service: RevocationService;
  issuer: string;
  audience: string;
  jwksUri: string;
  algorithms: string[];
  timeoutMs: number;
}

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const SUBJECT_EVENTS = new Set([`${CAEP}session-revoked`, `${CAEP}credential-change`]);
export const TOKEN_REVOKED = 'https://schemas.openid.net/secevent/oauth/event-type/token-revoked';
const MAX_SET = 16_384;

/** RFC 8935 §2.3: 400 with `{err, description}` */
class SetError extends Error {
  constructor(readonly err: 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed', description: string) { super(description); }
}

const b64ToB64url = (v: string) => v.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** an RFC 9493 subject identifier (or a token subject) → what the denylist names */
function revocationFor(event: string, subject: unknown, at: number): Revocation {
  if (!subject || typeof subject !== 'object') throw new SetError('invalid_request', 'the event has no subject');
  const s = subject as Record<string, unknown>;
  const format = s.format ?? s.subject_type;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : undefined);
  if (event === TOKEN_REVOKED) {
    const token = str(s.token);
    if (format === 'oauth_token' && token && s.token_identifier_alg === 'hash_base64_sha256') return { kind: 'token_sha256', value: b64ToB64url(token), at };
    if (format === 'oauth_token' && token && s.token_identifier_alg === 'plain') return { kind: 'token_sha256', value: tokenHash(token), at };
    throw new SetError('invalid_request', 'token-revoked needs an oauth_token subject with token_identifier_alg hash_base64_sha256 or plain');
  }
  const sub = format === 'iss_sub' ? str(s.sub) : format === 'opaque' ? str(s.id) : format === 'email' ? str(s.email) : undefined;
  if (!sub) throw new SetError('invalid_request', `unsupported subject format ${JSON.stringify(format)} (iss_sub, opaque, email)`);
  return { kind: 'sub', value: sub, at };
}

/** The revocations a verified SET carries: CAEP session-revoked / credential-change (by subject) and token-revoked. */
export function revocationsOf(claims: JWTPayload): Revocation[] {
  const events = claims.events;
  if (!events || typeof events !== 'object' || Array.isArray(events)) throw new SetError('invalid_request', 'the SET has no events claim');
  if (typeof claims.jti !== 'string' || typeof claims.iat !== 'number') throw new SetError('invalid_request', 'the SET needs jti and iat');
  const out: Revocation[] = [];
  for (const [type, payload] of Object.entries(events as Record<string, unknown>)) {
    if (!SUBJECT_EVENTS.has(type) && type !== TOKEN_REVOKED) continue; // not ours: acknowledged, ignored
    const p = (payload ?? {}) as Record<string, unknown>;
    const at = typeof p.event_timestamp === 'number' ? p.event_timestamp : claims.iat;
    out.push(revocationFor(type, claims.sub_id ?? p.subject, at));
  }
  return out;
}

function setError(err: unknown): SetError {
  if (err instanceof SetError) return err;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new SetError('invalid_issuer', 'the SET was not issued by the configured transmitter');
    if (err.claim === 'aud') return new SetError('invalid_audience', 'the SET is not addressed to this receiver');
    return new SetError('invalid_request', `the SET's ${err.claim} claim is not valid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new SetError('invalid_key', 'the SET signature does not verify with the transmitter keys');
  }
  return new SetError('invalid_request', 'the SET is not a valid signed JWT');
}

/**
 * RFC 8935 push endpoint `POST /set` for RFC 8417 SETs signed by the configured
 * transmitter (`typ: secevent+jwt`, `iss`, `aud`, signature against its JWKS).
 * 202 when accepted; 400 `{err, description}` otherwise, and nothing is applied.
 */
export function createSetReceiver(options: SetReceiverOptions): Hono {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: options.timeoutMs, cooldownDuration: 10_000 });
  const app = new Hono();
  const answer = (c: Context, e: SetError) => c.json({ err: e.err, description: e.message }, 400, { 'cache-control': 'no-store' });
  app.post('/set', async (c) => {
    try {
      if (!/^application\/secevent\+jwt\b/i.test(c.req.header('content-type') ?? '')) throw new SetError('invalid_request', 'expected Content-Type application/secevent+jwt');
      if (Number(c.req.header('content-length') ?? 0) > MAX_SET) throw new SetError('invalid_request', 'the SET is too large');
      const body = (await c.req.text()).trim();
      if (body.length > MAX_SET) throw new SetError('invalid_request', 'the SET is too large');
      const { payload } = await jwtVerify(body, jwks, { issuer: options.issuer, audience: options.audience, typ: 'secevent+jwt', algorithms: options.algorithms });
      const revocations = revocationsOf(payload);
      for (const r of revocations) options.service.apply(r, 'set');
      return c.body(null, 202);
    } catch (err) {
      return answer(c, setError(err));
    }
  });
  return app;
}
