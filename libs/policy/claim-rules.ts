import { GatewayError } from '../errors/index.js';
import type { ClaimRuleConfig } from '../config/policy-schema.js';

export type Claims = Readonly<Record<string, unknown>>;

/** The request facts a claim rule may compare with: the canonical path. */
export interface RuleRequest { readonly path: string }

/** Compiled claim rules: throws 403 `access_denied` naming the first rule that fails. */
export type ClaimCheck = (claims: Claims, request: RuleRequest) => void;

type Literal = string | number | boolean;
type Test = (value: unknown, params: Record<string, string> | undefined) => boolean;

/** `org.id` → a reader of claims.org.id (own properties only: no prototype lookups). */
function reader(path: string): (claims: Claims) => unknown {
  const parts = path.split('.');
  return (claims) => {
    let value: unknown = claims;
    for (const part of parts) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
}

/** A scalar claim, or any element of an array claim, satisfies `test`. */
const some = (value: unknown, test: (v: unknown) => boolean) => (Array.isArray(value) ? value.some(test) : test(value));

function compileTest(rule: ClaimRuleConfig): Test {
  if (rule.exists !== undefined) { const want = rule.exists; return (v) => (v !== undefined && v !== null) === want; }
  if (rule.equals !== undefined) { const want = rule.equals; return (v) => some(v, (x) => x === want); }
  if (rule.in !== undefined) { const set = new Set<unknown>(rule.in); return (v) => some(v, (x) => set.has(x)); }
  if (rule.equalsParam !== undefined) {
    const name = rule.equalsParam;
    return (v, params) => { const want = params?.[name]; return want !== undefined && some(v, (x) => (typeof x === 'string' || typeof x === 'number') && String(x) === want); };
  }
  if (rule.atLeast !== undefined && rule.order) {
    const rank = new Map<unknown, number>(rule.order.map((x: Literal, i) => [x, i]));
    const min = rank.get(rule.atLeast)!;
    return (v) => { const r = rank.get(v); return r !== undefined && r >= min; };
  }
  throw new TypeError('claim rule without an operator (the schema should have refused it)');
}

/**
 * `/tenants/:tenant` → a matcher of the canonical path's leading segments;
 * undefined when the path does not have that shape (every equalsParam rule then fails).
 */
export function compilePathTemplate(template: string): (path: string) => Record<string, string> | undefined {
  const segments = template.split('/').filter(Boolean);
  return (path) => {
    const parts = path.split('/');
    if (parts.length - 1 < segments.length) return undefined;
    const params: Record<string, string> = Object.create(null);
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const part = parts[i + 1]!;
      if (seg.startsWith(':')) { if (part === '') return undefined; params[seg.slice(1)] = part; }
      else if (seg !== part) return undefined;
    }
    return params;
  };
}

/**
 * Compiles a route's claim rules once, at load. Every rule must hold; the
 * 403's description and reason name the failing rule, never a claim value.
 */
export function compileClaimRules(rules: readonly ClaimRuleConfig[], pathTemplate?: string): ClaimCheck | undefined {
  if (rules.length === 0) return undefined;
  const compiled = rules.map((rule, i) => ({ name: rule.name ?? `claims[${i}]`, read: reader(rule.claim), test: compileTest(rule), param: rule.equalsParam !== undefined }));
  const needsParams = compiled.some((r) => r.param);
  const match = pathTemplate ? compilePathTemplate(pathTemplate) : undefined;
  return function checkClaims(claims, request) {
    const params = needsParams && match ? match(request.path) : undefined;
    for (const rule of compiled) {
      if (!rule.test(rule.read(claims), params)) {
        throw new GatewayError('access_denied', `policy rule "${rule.name}" does not allow this request`, { reason: `claim_rule:${rule.name}` });
      }
    }
  };
}
