import { GatewayError } from '../errors/index.js';
import type { AuthzenEvaluation } from './evaluation.js';
import type { Claims } from './claim-rules.js';

export interface EvaluationTarget {
  method: string;
  /** the canonical path (record.path) */
  path: string;
  route: string;
  /** the audience the request is for (edge: the route's; micro: this domain) */
  audience: string;
}

export interface EvaluationMapping {
  actions: Readonly<Record<string, string>>;
  resourceType?: string | undefined;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** Length-prefixed fields: injective whatever the values hold, and cheaper than JSON. */
const field = (v: string | undefined) => (v === undefined ? '-|' : `${v.length}:${v}|`);

/**
 * The tuple a decision depends on, as a cache key, built without allocating
 * the evaluation (a warm cache never builds it). Subject: `sub` as a user,
 * else `client_id` as a client; undefined when the token names neither.
 */
export function evaluationKey(claims: Claims, target: EvaluationTarget, mapping: EvaluationMapping): string | undefined {
  const sub = str(claims.sub);
  const clientId = str(claims.client_id);
  if (sub === undefined && clientId === undefined) return undefined;
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  return field(sub) + field(clientId) + field(mapping.actions[target.method] ?? target.method) + field(target.method)
    + field(mapping.resourceType ?? target.route) + field(target.path) + field(target.route) + field(scope) + field(target.audience);
}

/**
 * The AuthZEN request from a token's facts, and its cache key (the tuple the
 * decision depends on). Subject: `sub` as a user, else `client_id` as a client.
 */
export function buildEvaluation(claims: Claims, target: EvaluationTarget, mapping: EvaluationMapping): { evaluation: AuthzenEvaluation; key: string } {
  const key = evaluationKey(claims, target, mapping);
  if (key === undefined) throw new GatewayError('access_denied', 'the token names no subject for the policy decision', { reason: 'pdp:no_subject' });
  const sub = str(claims.sub);
  const clientId = str(claims.client_id);
  const id = sub ?? clientId!;
  const subjectType = sub !== undefined ? 'user' : 'client';
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const evaluation: AuthzenEvaluation = {
    subject: { type: subjectType, id, ...(clientId !== undefined ? { properties: { client_id: clientId } } : {}) },
    action: { name: mapping.actions[target.method] ?? target.method, properties: { method: target.method } },
    resource: { type: mapping.resourceType ?? target.route, id: target.path, properties: { route: target.route } },
    context: { scopes: scope ? scope.split(' ').filter(Boolean) : [], client_id: clientId ?? null, audience: target.audience },
  };
  return { evaluation, key };
}
