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
 * The token's part of the tuple a decision depends on (subject, client,
 * scopes), as a cache-key prefix; undefined when the token names no subject.
 * The route's part (route, audience, resource type) is fixed per check and the
 * request's part is `<method> <path>` (see createPolicyCheck).
 */
export function subjectKey(claims: Claims): string | undefined {
  const sub = str(claims.sub);
  const clientId = str(claims.client_id);
  if (sub === undefined && clientId === undefined) return undefined;
  return field(sub) + field(clientId) + field(typeof claims.scope === 'string' ? claims.scope : '');
}

/**
 * The AuthZEN request from a token's facts, and its cache key (the tuple the
 * decision depends on). Subject: `sub` as a user, else (no `sub`, or `sub` equal to
 * `client_id`) `client_id` as a client.
 */
export function buildEvaluation(claims: Claims, target: EvaluationTarget, mapping: EvaluationMapping): { evaluation: AuthzenEvaluation; key: string } {
  const subject = subjectKey(claims);
  if (subject === undefined) throw new GatewayError('access_denied', 'the token names no subject for the policy decision', { reason: 'pdp:no_subject' });
  const sub = str(claims.sub);
  const clientId = str(claims.client_id);
  const id = sub ?? clientId!;
  // RFC 9068 §2.2: a token a client got for itself (client credentials) has sub = client_id; the
  // JWT the edge mints always carries a sub, so this keeps the edge's and the micro's subject the same
  const subjectType = sub !== undefined && sub !== clientId ? 'user' : 'client';
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  const evaluation: AuthzenEvaluation = {
    subject: { type: subjectType, id, ...(clientId !== undefined ? { properties: { client_id: clientId } } : {}) },
    action: { name: mapping.actions[target.method] ?? target.method, properties: { method: target.method } },
    resource: { type: mapping.resourceType ?? target.route, id: target.path, properties: { route: target.route } },
    context: { scopes: scope ? scope.split(' ').filter(Boolean) : [], client_id: clientId ?? null, audience: target.audience },
  };
  return { evaluation, key: `${subject}${target.method} ${target.path}` };
}
