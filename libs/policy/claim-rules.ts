import { GatewayError } from '../errors/index.js';
import type { ClaimRuleConfig } from '../config/policy-schema.js';

export type Claims = Readonly<Record<string, unknown>>;

/** The request facts a claim rule may compare with: the canonical path. */
export interface RuleRequest { readonly path: string }

/** Compiled claim rules: throws 403 `access_denied` naming the first rule that fails. */
export type ClaimCheck = (claims: Claims, request: RuleRequest) => void;

type Literal = string | number | boolean;
/** the request's path segments (`''` first), when it matched pathTemplate */
type Test = (value: unknown, segments: readonly string[] | undefined) => boolean;

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

function compileTest(rule: ClaimRuleConfig, paramIndex: ReadonlyMap<string, number>): Test {
  if (rule.exists !== undefined) { const want = rule.exists; return (v) => (v !== undefined && v !== null) === want; }
  if (rule.equals !== undefined) { const want = rule.equals; return (v) => some(v, (x) => x === want); }
  if (rule.in !== undefined) { const set = new Set<unknown>(rule.in); return (v) => some(v, (x) => set.has(x)); }
  if (rule.equalsParam !== undefined) {
    const index = paramIndex.get(rule.equalsParam)!;
    const same = (x: unknown, want: string) => (typeof x === 'string' ? x === want : typeof x === 'number' && String(x) === want);
    return (v, segments) => {
      const want = segments?.[index];
      if (want === undefined) return false;
      if (!Array.isArray(v)) return same(v, want);
      for (const x of v) if (same(x, want)) return true;
      return false;
    };
  }
  if (rule.atLeast !== undefined && rule.order) {
    const rank = new Map<unknown, number>(rule.order.map((x: Literal, i) => [x, i]));
    const min = rank.get(rule.atLeast)!;
    return (v) => { const r = rank.get(v); return r !== undefined && r >= min; };
  }
  throw new TypeError('claim rule without an operator (the schema should have refused it)');
}

/**
 * `/tenants/:tenant` → the parameters' segment indexes, and a matcher that
 * returns the canonical path's segments when its leading segments have that
 * shape (literals equal, parameters non-empty), else undefined (every
 * equalsParam rule then fails).
 */
export function compilePathTemplate(template: string) {
  const segments = template.split('/').slice(1).filter(Boolean);
  const params = new Map<string, number>();
  segments.forEach((seg, i) => { if (seg.startsWith(':')) params.set(seg.slice(1), i + 1); });
  function match(path: string): readonly string[] | undefined {
    const parts = path.split('/');
    if (parts.length <= segments.length) return undefined;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const part = parts[i + 1]!;
      if (seg.charCodeAt(0) === 58 /* : */ ? part === '' : seg !== part) return undefined;
    }
    return parts;
  }
  return { params, match };
}

/**
 * Compiles a route's claim rules once, at load. Every rule must hold; the
 * 403's description and reason name the failing rule, never a claim value.
 */
export function compileClaimRules(rules: readonly ClaimRuleConfig[], pathTemplate?: string): ClaimCheck | undefined {
  if (rules.length === 0) return undefined;
  const template = pathTemplate ? compilePathTemplate(pathTemplate) : undefined;
  const compiled = rules.map((rule, i) => ({ name: rule.name ?? `claims[${i}]`, read: reader(rule.claim), test: compileTest(rule, template?.params ?? new Map()), param: rule.equalsParam !== undefined }));
  const match = template && compiled.some((r) => r.param) ? template.match : undefined;
  return function checkClaims(claims, request) {
    const segments = match ? match(request.path) : undefined;
    for (const rule of compiled) {
      if (!rule.test(rule.read(claims), segments)) {
        throw new GatewayError('access_denied', `policy rule "${rule.name}" does not allow this request`, { reason: `claim_rule:${rule.name}` });
      }
    }
  };
}
