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

/**
 * The AuthZEN request from a token's facts, and its cache key (the tuple the
 * decision depends on). Subject: `sub` as a user, else `client_id` as a client.
 */
export function buildEvaluation(claims: Claims, target: EvaluationTarget, mapping: EvaluationMapping): { evaluation: AuthzenEvaluation; key: string } {
  const sub = str(claims.sub);
  const clientId = str(claims.client_id);
  const id = sub ?? clientId;
  if (id === undefined) throw new GatewayError('access_denied', 'the token names no subject for the policy decision', { reason: 'pdp:no_subject' });
  const subjectType = sub !== undefined ? 'user' : 'client';
  const action = mapping.actions[target.method] ?? target.method;
  const resourceType = mapping.resourceType ?? target.route;
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const evaluation: AuthzenEvaluation = {
    subject: { type: subjectType, id, ...(clientId !== undefined ? { properties: { client_id: clientId } } : {}) },
    action: { name: action, properties: { method: target.method } },
    resource: { type: resourceType, id: target.path, properties: { route: target.route } },
    context: { scopes: scope ? scope.split(' ').filter(Boolean) : [], client_id: clientId ?? null, audience: target.audience },
  };
  const key = JSON.stringify([subjectType, id, clientId ?? null, action, target.method, resourceType, target.path, target.route, scope, target.audience]);
  return { evaluation, key };
}
