import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { tokenHash } from '../cache/index.js';
import { GatewayError, toErrorResponse } from '../errors/index.js';
import type { Revocation } from './revocation-store.js';
import type { RevocationService } from './revocation-service.js';
import { parseRevocation } from './fan-out.js';

export interface RevocationApiOptions {
  service: RevocationService;
  /** the bearer secret callers present */
  adminToken: string;
  realm: string;
  now?: () => number;
}

const MAX_BODY = 16_384;
const identifier = z.string().min(1).max(1024);
const bodySchema = z.union([
  z.strictObject({ token: z.string().min(1).max(MAX_BODY) }),
  z.strictObject({ token_sha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected the base64url SHA-256 of the token (43 characters)') }),
  z.strictObject({ sub: identifier }),
  z.strictObject({ client_id: identifier }),
  z.strictObject({ jti: identifier }),
]);

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `POST /revocations` on the admin port, with `Authorization: Bearer <adminToken>`
 * and one of `{token}`, `{token_sha256}`, `{sub}`, `{client_id}`, `{jti}`.
 * Answers 202 `{kind, value}` (a token only as its hash). The secret is
 * compared in constant time; a refused call changes nothing.
 */
export function createRevocationApi(options: RevocationApiOptions): Hono {
  const now = options.now ?? Date.now;
  const secret = digest(options.adminToken);
  const app = new Hono();
  const fail = (c: Context, err: GatewayError) => {
    const { status, headers, body } = toErrorResponse(err, options.realm);
    return c.body(body, status as 400, headers);
  };

  /** the refusal, or undefined when the caller holds the secret */
  const refuse = (c: Context): Response | undefined => {
    const header = c.req.header('authorization');
    if (!header || !/^Bearer /i.test(header)) return fail(c, new GatewayError('unauthorized', 'the admin API requires a Bearer secret'));
    if (!timingSafeEqual(digest(header.slice(7).trim()), secret)) return fail(c, new GatewayError('invalid_token', 'the admin secret is not valid'));
    if (Number(c.req.header('content-length') ?? 0) > MAX_BODY) return fail(c, new GatewayError('bad_request', 'the body is too large'));
    return undefined;
  };
  const readJson = async (c: Context): Promise<unknown> => {
    const text = await c.req.text();
    try { return text.length <= MAX_BODY ? JSON.parse(text) : undefined; } catch { return undefined; }
  };

  // from another instance (fan-out without Redis): applied here, not passed on
  app.post('/revocations/peer', async (c) => {
    const refused = refuse(c);
    if (refused) return refused;
    const revocation = parseRevocation(await readJson(c));
    if (!revocation) return fail(c, new GatewayError('bad_request', 'expected {kind, value, at}'));
    options.service.apply(revocation, 'fanout');
    return c.json({ kind: revocation.kind, value: revocation.value, at: revocation.at }, 202, { 'cache-control': 'no-store' });
  });

  app.post('/revocations', async (c) => {
    const refused = refuse(c);
    if (refused) return refused;
    const result = bodySchema.safeParse(await readJson(c));
    if (!result.success) return fail(c, new GatewayError('bad_request', 'expected JSON with exactly one of token, token_sha256, sub, client_id, jti'));
    const parsed = result.data;
    const at = Math.floor(now() / 1000);
    const revocation: Revocation = 'token' in parsed ? { kind: 'token_sha256', value: tokenHash(parsed.token), at }
      : 'token_sha256' in parsed ? { kind: 'token_sha256', value: parsed.token_sha256, at }
        : 'sub' in parsed ? { kind: 'sub', value: parsed.sub, at }
          : 'client_id' in parsed ? { kind: 'client_id', value: parsed.client_id, at }
            : { kind: 'jti', value: parsed.jti, at };
    options.service.apply(revocation, 'admin');
    return c.json({ kind: revocation.kind, value: revocation.value, at }, 202, { 'cache-control': 'no-store' });
  });
  return app;
}
