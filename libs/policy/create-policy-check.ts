import { GatewayError } from '../errors/index.js';
import type { PolicyConfig } from '../config/policy-schema.js';
import { compileClaimRules, type Claims } from './claim-rules.js';
import { buildEvaluation, subjectKey } from './build-evaluation.js';
import { createDecisionCache } from './decision-cache.js';
import { createPdpClientFromConfig } from './pdp-client-from-config.js';
import type { Decision, PdpClient } from './evaluation.js';
import type { PolicyStats } from './policy-stats.js';

/** What a check reads of, and writes into, the request record. */
export interface PolicyRequest {
  readonly method: string;
  readonly path: string;
  readonly requestId?: string;
  /** set to the admitting decision: `claims`, `pdp:authzen`, `claims+pdp:opa(cached)`… */
  policy?: string;
}

/** One step: returns (or resolves) when admitted; throws a GatewayError when not. */
export type PolicyCheck = (claims: Claims, request: PolicyRequest) => void | Promise<void>;

export interface PolicyCheckOptions {
  policy: PolicyConfig | undefined;
  route: string;
  audience: string;
  stats: PolicyStats;
  /** a PDP client (tests); default from policy.pdp */
  pdp?: PdpClient;
  /** told of a PDP failure admitted by failMode open (a closed failure is logged as the 503 it becomes) */
  onFailure?: (route: string, err: unknown) => void;
}

/**
 * A route's policy step: claim rules (synchronous), then the PDP (a cached
 * decision synchronous, a miss one shared call). Denials are 403
 * `access_denied` naming the rule or the PDP; a PDP failure is 503
 * `policy_unavailable` unless the route's failMode is `open`.
 */
export function createPolicyCheck(options: PolicyCheckOptions): PolicyCheck | undefined {
  const { policy, route, audience, stats } = options;
  if (!policy || (policy.claims.length === 0 && !policy.pdp)) return undefined;
  const claimCheck = compileClaimRules(policy.claims, policy.pathTemplate);
  const pdpConfig = policy.pdp;
  if (!pdpConfig) {
    return function checkPolicy(claims, request) { claimCheck!(claims, request); request.policy = 'claims'; };
  }
  const client = options.pdp ?? createPdpClientFromConfig(pdpConfig);
  const cache = createDecisionCache({ ttlMs: pdpConfig.cacheTtlSeconds * 1000, maxEntries: pdpConfig.cacheMaxEntries });
  stats.caches.push(cache);
  const prefix = claimCheck ? 'claims+' : '';
  const label = `pdp:${pdpConfig.kind}`;
  const subjectKeys = new WeakMap<Claims, string>();
  const mapping = { actions: pdpConfig.actions, resourceType: pdpConfig.resourceType };

  const admitted = `${prefix}${label}`, admittedCached = `${admitted}(cached)`, admittedOpen = `${admitted}(fail-open)`;
  function apply(decision: Decision, request: PolicyRequest, cached: boolean): void {
    stats.decisions++;
    if (!decision.decision) {
      stats.denials++;
      throw new GatewayError('access_denied', `the policy decision point (${decision.by}) does not allow this request`, { reason: label });
    }
    request.policy = cached ? admittedCached : admitted;
  }

  function evaluate(evaluation: Parameters<PdpClient>[0], requestId: string | undefined): Promise<Decision> {
    const started = performance.now();
    stats.calls++;
    return client(evaluation, requestId).then(
      (d) => { stats.seconds += (performance.now() - started) / 1000; return d; },
      (err: unknown) => { stats.seconds += (performance.now() - started) / 1000; stats.failures++; throw err; },
    );
  }

  return function checkPolicy(claims, request) {
    claimCheck?.(claims, request);
    // the token's part of the key, once per facts object (cached facts are reused across requests)
    let subject = subjectKeys.get(claims);
    if (subject === undefined) subjectKeys.set(claims, subject = subjectKey(claims) ?? '');
    if (subject === '') throw new GatewayError('access_denied', 'the token names no subject for the policy decision', { reason: 'pdp:no_subject' });
    const got = cache.get(`${subject}${request.method} ${request.path}`, () => evaluate(
      buildEvaluation(claims, { method: request.method, path: request.path, route, audience }, mapping).evaluation, request.requestId));
    if (!(got instanceof Promise)) return apply(got, request, true);
    return got.then((d) => apply(d, request, false), (err: unknown) => {
      if (pdpConfig.failMode === 'open') { options.onFailure?.(route, err); request.policy = admittedOpen; return; }
      throw new GatewayError('policy_unavailable', 'the policy decision point could not decide', { cause: err, retryAfter: 1, reason: `${label}:${(err as { kind?: string }).kind ?? 'error'}` });
    });
  };
}
