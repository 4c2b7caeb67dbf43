/**
 * Our forwarding path alone, as both gateways run it: libs/server
 * startServer's data path builds the upstream headers (libs/proxy
 * forwardHeaders) and streams through libs/proxy createUpstream.
 *   node gateway-forwarder.js <upstream-url> [port]
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createUpstream, forwardHeaders, headerPolicy, requestIdOf } from '../../../libs/proxy/index.js';
import { startServer } from '../../../libs/server/index.js';
import { createLogger } from '../../../libs/observability/index.js';
import { writeError } from '../../../libs/errors/index.js';

const upstream = createUpstream(process.argv[2]!, { connectTimeoutMs: 2000, responseTimeoutMs: 30_000, maxSockets: 256 });
const policy = headerPolicy(['x-auth-*'], []);
// the data path as the gateways run it: straight on node:http
const dataPath = (req: IncomingMessage, res: ServerResponse) => {
  const requestId = requestIdOf(req.headers);
  upstream.forward(req, res, { path: req.url ?? '/', headers: forwardHeaders(req, policy, { 'x-request-id': requestId }), responseHeaders: { 'x-request-id': requestId } },
    (err) => writeError(res, err, 'bench'));
};
const logger = createLogger({ name: 'forwarder', level: 'info' });
const running = await startServer(dataPath, { host: '127.0.0.1', port: Number(process.argv[3] ?? 0), maxHeaderBytes: 16384, keepAliveTimeoutMs: 65_000, headersTimeoutMs: 10_000, realm: 'bench' }, logger);
process.stdout.write(`${JSON.stringify({ ready: true, program: 'forwarder', url: running.url })}\n`);
process.on('SIGTERM', () => process.exit(0));
