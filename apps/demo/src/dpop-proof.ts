/**
 * Prints an RFC 9449 DPoP proof for the `--tls` demo's walk-through:
 *   node dist/apps/demo/src/dpop-proof.js --key key.json --htm GET --htu https://… [--token <access token>]
 * The key file (a private ES256 JWK) is written by the demo at start
 * (`--generate` writes a new one). With --token the proof carries `ath`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** writes a new private ES256 JWK for DPoP proofs */
export async function writeDpopKey(file: string): Promise<void> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  writeFileSync(file, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
}

export async function dpopProof(keyFile: string, htm: string, htu: string, token?: string): Promise<string> {
  const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  const claims: Record<string, unknown> = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) };
  if (token) claims.ath = createHash('sha256').update(token).digest('base64url');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk }).sign(await importJWK(jwk, 'ES256'));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values } = parseArgs({ options: { key: { type: 'string' }, htm: { type: 'string', default: 'GET' }, htu: { type: 'string' }, token: { type: 'string' }, generate: { type: 'boolean', default: false } } });
  if (!values.key || (!values.generate && !values.htu)) {
    process.stderr.write('usage: dpop-proof.js --key key.json --htm GET --htu https://host/path [--token T]   (or --key key.json --generate)\n');
    process.exit(2);
  }
  if (values.generate) await writeDpopKey(values.key);
  else process.stdout.write(`${await dpopProof(values.key, values.htm, values.htu!, values.token)}\n`);
}
