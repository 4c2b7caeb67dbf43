/**
 * The floor of a cold request in plain Node.js: an edge and a micro gateway
 * cut down to the work a new token cannot avoid, to measure how fast any
 * Node gateway could serve `gateway-cold` on this machine. The edge introspects
 * every token (a keep-alive POST with client credentials, as the gateway's
 * calls), checks `active` and the scope, signs an ES256 JWT and forwards; the
 * micro verifies every JWT's signature, checks audience, expiry and scope,
 * and forwards. No caches, no log, no limits, no error model: less than a
 * gateway must do, so what it reaches bounds a gateway on node:http from above.
 * Its form leaves out `token_type_hint` (optional, RFC 7662 §2.1), which the
 * gateway sends: with the dev AS the hint costs ~10 % more AS CPU per call.
 *   node cold-floor.js edge <as-url> <client-id:secret> <micro-url> <port> <public-key-file>
 *   node cold-floor.js micro <backend-url> <port> <public-key-file>
 * The edge writes its public key to the file before it reports ready; start the micro after it.
 */
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const SCOPE = 'orders:read';
const AUDIENCE = 'orders';
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const refuse = (res: ServerResponse, status: number) => { res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"refused"}'); };

/** the request, with these headers, piped to the upstream and its answer piped back */
function pipeTo(upstream: URL, req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
  const up = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => { if (res.headersSent) res.destroy(); else refuse(res, 502); });
  up.end();
}

function edge(asUrl: string, client: string, microUrl: string, keyFile: string) {
  const as = new URL(asUrl); const micro = new URL(microUrl);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const basic = `Basic ${Buffer.from(client).toString('base64')}`;
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'floor' })).toString('base64url');
  return (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) { refuse(res, 401); return; }
    const form = `token=${encodeURIComponent(auth.slice(7))}`;
    const call = request({
      hostname: as.hostname, port: as.port, path: '/token/introspection', method: 'POST', agent,
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form), accept: 'application/json' },
    }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let claims: { active?: boolean; scope?: string; sub?: string; client_id?: string };
        try {
          if (answer.statusCode !== 200) throw new Error(`the AS answered ${answer.statusCode}`);
          claims = JSON.parse(Buffer.concat(chunks).toString()) as typeof claims;
        } catch { refuse(res, 503); return; }
        if (!claims.active || !String(claims.scope).split(' ').includes(SCOPE)) { refuse(res, 403); return; }
        const now = Math.floor(Date.now() / 1000);
        const payload = { iss: 'https://floor.invalid', sub: claims.sub, aud: AUDIENCE, scope: claims.scope, client_id: claims.client_id, iat: now, exp: now + 60, jti: `${now}-${Math.random()}` };
        const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
        const jwt = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
        pipeTo(micro, req, res, { ...req.headers, authorization: `Bearer ${jwt}` });
      });
    });
    call.on('error', () => refuse(res, 503));
    call.end(form);
  };
}

function micro(backendUrl: string, keyFile: string) {
  const backend = new URL(backendUrl);
  const key = createPublicKey(readFileSync(keyFile));
  return (req: IncomingMessage, res: ServerResponse) => {
    const jwt = (req.headers.authorization ?? '').slice(7);
    const [h, p, s] = jwt.split('.');
    if (!h || !p || !s || (JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string }).alg !== 'ES256'
      || !verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) { refuse(res, 401); return; }
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud?: string; exp?: number; scope?: string };
    if (claims.aud !== AUDIENCE || !(Number(claims.exp) * 1000 > Date.now()) || !String(claims.scope).split(' ').includes(SCOPE)) { refuse(res, 403); return; }
    pipeTo(backend, req, res, req.headers);
  };
}

const [role, ...args] = process.argv.slice(2);
const [port, handler] = role === 'edge' ? [args[3], edge(args[0]!, args[1]!, args[2]!, args[4]!)]
  : role === 'micro' ? [args[1], micro(args[0]!, args[2]!)]
  : (() => { throw new Error('usage: cold-floor.js edge <as-url> <client-id:secret> <micro-url> <port> <key-file> | micro <backend-url> <port> <key-file>'); })();
const server = createServer(handler);
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
