export { createUpstream, type Upstream, type UpstreamOptions, type ForwardTarget } from './create-upstream.js';
export { forwardHeaders, headerPolicy, requestIdOf, remoteAddress, DEFAULT_HEADER_LIMITS, type HeaderPolicy, type HeaderLimits } from './forward-headers.js';
export { HOP_BY_HOP, connectionScoped } from './hop-by-hop.js';
export type { UpgradeHandlers, UpgradeTarget } from './upgrade-upstream.js';
export { createUpstreamPools, type UpstreamPools } from './upstream-pools.js';
export { upstreamTlsOptions, upstreamTlsError } from './upstream-tls.js';
export { bufferedCall, callTarget, rawHeader, responseOf, NULL_BODY_STATUSES, timeoutError, AnswerTooLargeError, type BufferedAnswer, type CallTarget, type CallRequest, type CallOptions } from './buffered-call.js';
export { decodedAnswer, answerTooLarge, MAX_DECODED_BYTES } from './decode-answer.js';
export { boundedKeysFetch, createLeanFetch, leanFetch, type LeanFetchOptions } from './lean-fetch.js';
