/**
 * The TLS reference: a node:https listener piping to a keep-alive node:http
 * upstream, the Node.js floor for one TLS-terminating hop.
 *   node https-pipe-proxy.js <upstream-url> <cert.pem> <key.pem> [port]
 */
import { Agent, request } from 'node:http';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer({ cert: readFileSync(process.argv[3]!), key: readFileSync(process.argv[4]!), minVersion: 'TLSv1.2' }, (req, res) => {
  const up = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on('error', () => { res.writeHead(502).end(); });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[5] ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ ready: true, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
