import { Agent } from 'undici';
import type { PdpConfig } from '../config/policy-schema.js';
import { upstreamTlsOptions } from '../proxy/upstream-tls.js';
import { createAuthzenClient } from './authzen-client.js';
import { createOpaClient } from './opa-client.js';
import type { PdpClient } from './evaluation.js';

/**
 * The PDP client for a route's validated `policy.pdp`: AuthZEN or OPA, with
 * its own connection pool when `tls` is set (the CA the PDP's certificate must
 * chain to, the client certificate this gateway presents: mutual TLS), built
 * by the same helper as https upstreams, so verification is never off.
 */
export function createPdpClientFromConfig(pdp: PdpConfig, field = 'policy.pdp'): PdpClient {
  const dispatcher = pdp.tls ? new Agent({ connect: upstreamTlsOptions(pdp.tls, `${field}.tls`) }) : undefined;
  const common = { url: pdp.url, bearerToken: pdp.bearerToken, timeoutMs: pdp.timeoutMs, dispatcher };
  return pdp.kind === 'opa' ? createOpaClient({ ...common, path: pdp.path! }) : createAuthzenClient(common);
}
