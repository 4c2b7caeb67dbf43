/**
 * The reference: a plain node:http keep-alive pipe proxy, the Node.js floor
 * for one hop; with a certificate and key, a node:https listener (the floor
 * for one TLS-terminating hop). Nothing but pipes.
 *   node pipe-proxy.js <upstream-url> [port] [cert.pem key.pem]
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const [upstreamUrl, port, certFile, keyFile] = process.argv.slice(2);
const upstream = new URL(upstreamUrl!);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const pipe = (req: IncomingMessage, res: ServerResponse) => {
  const up = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => { res.writeHead(502).end(); });
  req.pipe(up);
};
const tls = certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' as const } : undefined;
const server = tls ? createHttpsServer(tls, pipe) : createServer(pipe);
server.keepAliveTimeout = 65_000;
server.listen(Number(port ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ ready: true, url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
