import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** One rule of the development PDP: every given field must match; the first matching rule decides. */
const ruleSchema = z.strictObject({
  subjectType: z.string().optional(),
  subjectId: z.string().optional(),
  action: z.string().optional(),
  resourceType: z.string().optional(),
  /** the resource id starts with this */
  resourcePrefix: z.string().optional(),
  decision: z.boolean(),
});

export const rulesSchema = z.strictObject({
  rules: z.array(ruleSchema).default([]),
  /** when no rule matches */
  default: z.boolean().default(false),
});

export type Rules = z.output<typeof rulesSchema>;

export interface Entity { type?: unknown; id?: unknown; name?: unknown }
export interface Evaluation { subject?: Entity; action?: Entity; resource?: Entity; context?: unknown }

export function loadRules(file: string | undefined): Rules {
  return rulesSchema.parse(file ? parse(readFileSync(file, 'utf8')) ?? {} : {});
}

/** AuthZEN 1.0 §5: subject {type,id}, action {name}, resource {type,id} are required strings. */
export function wellFormed(e: Evaluation): boolean {
  const s = (v: unknown) => typeof v === 'string' && v !== '';
  return !!e.subject && s(e.subject.type) && s(e.subject.id) && !!e.action && s(e.action.name)
    && !!e.resource && s(e.resource.type) && s(e.resource.id);
}

export function decide(rules: Rules, e: Evaluation): boolean {
  for (const r of rules.rules) {
    if (r.subjectType !== undefined && r.subjectType !== e.subject?.type) continue;
    if (r.subjectId !== undefined && r.subjectId !== e.subject?.id) continue;
    if (r.action !== undefined && r.action !== e.action?.name) continue;
    if (r.resourceType !== undefined && r.resourceType !== e.resource?.type) continue;
    if (r.resourcePrefix !== undefined && !String(e.resource?.id).startsWith(r.resourcePrefix)) continue;
    return r.decision;
  }
  return rules.default;
}
