import { z } from 'zod';
import { edgeConfigSchema } from './edge-schema.js';
import { microConfigSchema } from './micro-schema.js';

/** The configuration schemas as JSON Schema (draft 2020-12), in their input form (defaults optional). */
export function jsonSchemas(): Record<'edge' | 'micro', object> {
  const convert = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    title,
  });
  return {
    edge: convert(edgeConfigSchema, 'Phantom Gateway edge configuration'),
    micro: convert(microConfigSchema, 'Phantom Gateway micro gateway configuration'),
  };
}
