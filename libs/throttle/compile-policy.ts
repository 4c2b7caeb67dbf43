import { gcraOf, type Gcra, type RateRule } from './gcra.js';
import { createKeyFunction, tierOf, type KeyPart, type Subject } from './rate-key.js';

/** A rate limit as configured: a rule, what it counts by, and per-tier rules from a claim. */
export interface RateLimitSpec extends RateRule {
  /** the policy's name in the RateLimit headers (default: `<route>-client`, `<route>`) */
  name?: string | undefined;
  /** what the limit counts by; [] = the whole route (default for per-route limits) */
  key?: readonly KeyPart[] | undefined;
  /** per-value limits from a claim (e.g. `tier`); unknown or missing values get the spec's own rule */
  tiers?: { claim: string; limits: Readonly<Record<string, RateRule>> } | undefined;
}

export interface Variant {
  gcra: Gcra;
  rule: RateRule;
  /** this variant's item of `RateLimit-Policy`: `"orders-client";q=100;w=60` */
  item: string;
}

export interface RuleStats { route: string; rule: string; admitted: number; limited: number; fallback: number }

export interface Policy {
  /** the policy's name in the RateLimit headers */
  name: string;
  kind: 'client' | 'route';
  keyOf: (s: Subject) => string;
  /** the variant for a subject (its tier, else the default) */
  variantOf: (s: Subject) => Variant;
  fallbackVariant: Variant;
  variants: readonly Variant[];
  tierClaim?: string | undefined;
  stats: RuleStats;
}

function variant(name: string, rule: RateRule): Variant {
  return { gcra: gcraOf(rule), rule, item: `"${name}";q=${rule.limit};w=${Math.max(1, Math.round(rule.windowMs / 1000))}` };
}

/** Precomputes everything a policy needs per request: its key function, GCRA parameters and header items. */
export function compilePolicy(route: string, kind: 'client' | 'route', spec: RateLimitSpec, stats: RuleStats): Policy {
  const name = spec.name ?? (kind === 'client' ? `${route}-client` : route);
  const base = variant(name, spec);
  const tiers = spec.tiers;
  const byTier = new Map(Object.entries(tiers?.limits ?? {}).map(([value, rule]) => [value, variant(name, rule)]));
  return {
    name, kind, stats,
    keyOf: createKeyFunction(spec.key ?? (kind === 'client' ? ['client'] : [])),
    variantOf: tiers ? (s) => byTier.get(tierOf(s.claims, tiers.claim) ?? '') ?? base : () => base,
    fallbackVariant: base,
    variants: [base, ...byTier.values()],
    tierClaim: tiers?.claim,
  };
}

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) for the variants applied to one request. */
export function policyHeader(variants: readonly Variant[]): string {
  let out = '';
  for (const v of variants) out = out ? `${out}, ${v.item}` : v.item;
  return out;
}
