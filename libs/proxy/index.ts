export { createUpstream, type Upstream, type UpstreamOptions, type ForwardTarget } from './create-upstream.js';
export { forwardHeaders, headerPolicy, requestIdOf, remoteAddress, type HeaderPolicy } from './forward-headers.js';
export { HOP_BY_HOP } from './hop-by-hop.js';
export { upstreamTlsOptions, upstreamTlsError } from './upstream-tls.js';
