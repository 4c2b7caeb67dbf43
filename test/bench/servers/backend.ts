/** The benchmark backend: the fastest plain node:http answer (the physical limit of the chain). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from(JSON.stringify({ ok: true, service: 'bench-backend' }));
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // /orders/mint echoes the headers, so the harness can read the JWT a gateway minted
    const out = req.url === '/orders/mint' ? Buffer.from(JSON.stringify({ headers: req.headers })) : body;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length }).end(out);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ ready: true, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
