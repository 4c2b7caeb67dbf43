import { z } from 'zod';
import { httpUrl } from './schema-parts.js';
import { upstreamTlsSchema } from './tls-schema.js';

const literal = z.union([z.string(), z.number(), z.boolean()]);

/**
 * One claim rule: a claim (a top-level name, or a dotted path into objects) and
 * exactly one operator. Unknown keys (operators) are refused at load.
 */
const claimRule = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'expected a name of letters, digits, "_", ".", ":" or "-"').optional().describe('named in the 403\'s reason; default `claims[<index>]`'),
  claim: z.string().regex(/^[A-Za-z0-9_:$-]+(\.[A-Za-z0-9_:$-]+)*$/, 'expected a claim name or a dotted path such as "org.id"'),
  equals: literal.optional().describe('the claim (or one of its elements, when it is an array) equals this literal'),
  equalsParam: z.string().regex(/^[A-Za-z0-9_]+$/, 'expected a parameter name').optional().describe('the claim (or one element) equals this parameter of policy.pathTemplate'),
  in: z.array(literal).min(1).optional().describe('the claim (or one element) is one of these'),
  atLeast: literal.optional().describe('the claim is at or above this value in `order` (lowest first), e.g. acr levels'),
  order: z.array(literal).min(2).optional(),
  exists: z.boolean().optional().describe('true: the claim must be present; false: it must be absent'),
}).superRefine((rule, ctx) => {
  const ops = (['equals', 'equalsParam', 'in', 'atLeast', 'exists'] as const).filter((k) => rule[k] !== undefined);
  if (ops.length !== 1) ctx.addIssue({ code: 'custom', message: `expected exactly one operator of equals, equalsParam, in, atLeast, exists; found ${ops.length ? ops.join(', ') : 'none'}` });
  if (rule.atLeast !== undefined && !rule.order) ctx.addIssue({ code: 'custom', path: ['order'], message: 'required with atLeast (the ordered values, lowest first)' });
  if (rule.atLeast !== undefined && rule.order && !rule.order.includes(rule.atLeast)) ctx.addIssue({ code: 'custom', path: ['atLeast'], message: 'must be one of order' });
  if (rule.order && rule.atLeast === undefined) ctx.addIssue({ code: 'custom', path: ['order'], message: 'only used with atLeast' });
});

/** An external Policy Decision Point: OpenID AuthZEN 1.0 or OPA's Data API. */
export const pdpSchema = z.strictObject({
  kind: z.enum(['authzen', 'opa']).default('authzen'),
  url: httpUrl.describe('AuthZEN: the PDP\'s base URL (POST <url>/access/v1/evaluation); OPA: the server (POST <url>/v1/data/<path>)'),
  path: z.string().regex(/^[A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*$/, 'expected a document path such as "phantom/allow"').optional().describe('OPA only: the decision document, e.g. "phantom/allow"'),
  bearerToken: z.string().min(1).optional().describe('`Authorization: Bearer <token>` to the PDP (use ${ENV} substitution)'),
  tls: upstreamTlsSchema.optional().describe('https PDP: the CA its certificate must chain to, and the client certificate presented to it (mutual TLS)'),
  timeoutMs: z.number().int().positive().default(500),
  failMode: z.enum(['closed', 'open']).default('closed').describe('PDP unreachable, slow, 5xx or an unreadable answer: closed → 503; open → admit (explicit)'),
  cacheTtlSeconds: z.number().nonnegative().default(30).describe('decisions are cached per (subject, action, resource, context) this long; 0 = off'),
  cacheMaxEntries: z.number().int().positive().default(10_000),
  actions: z.record(z.string().regex(/^[A-Z]+$/, 'expected an upper-case HTTP method'), z.string().min(1)).default({}).describe('action name by HTTP method (default: the method itself, e.g. "GET")'),
  resourceType: z.string().min(1).optional().describe('the AuthZEN resource type (default: the route name)'),
}).superRefine((pdp, ctx) => {
  if (pdp.kind === 'opa' && !pdp.path) ctx.addIssue({ code: 'custom', path: ['path'], message: 'required for kind opa' });
  if (pdp.kind === 'authzen' && pdp.path) ctx.addIssue({ code: 'custom', path: ['path'], message: 'only used with kind opa' });
  if (pdp.tls && !pdp.url.startsWith('https:')) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'only used with an https url' });
});

/** A route's authorization beyond scopes: claim rules (all must hold), then the PDP. */
export const policySchema = z.strictObject({
  pathTemplate: z.string().regex(/^(\/([A-Za-z0-9._~-]+|:[A-Za-z0-9_]+))+\/?$/, 'expected a path such as "/tenants/:tenant"').optional().describe('names path parameters for equalsParam, e.g. "/tenants/:tenant" (matched against the start of the canonical path)'),
  claims: z.array(claimRule).default([]),
  pdp: pdpSchema.optional(),
  decisionHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name').optional().describe('send the admitting decision to the upstream in this header (e.g. X-Phantom-Policy)'),
}).superRefine((policy, ctx) => {
  const params = new Set([...(policy.pathTemplate ?? '').matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]));
  policy.claims.forEach((rule, i) => {
    if (rule.equalsParam !== undefined && !params.has(rule.equalsParam)) {
      ctx.addIssue({ code: 'custom', path: ['claims', i, 'equalsParam'], message: `"${rule.equalsParam}" is not a parameter of pathTemplate` });
    }
  });
});

export type PolicyConfig = z.output<typeof policySchema>;
export type PdpConfig = z.output<typeof pdpSchema>;
export type ClaimRuleConfig = PolicyConfig['claims'][number];
