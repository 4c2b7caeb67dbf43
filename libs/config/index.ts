export { ConfigError, formatPath } from './config-error.js';
export { loadConfig, parseConfig, deepFreeze } from './load-config.js';
export { substituteEnv } from './substitute-env.js';
export { edgeConfigSchema, type EdgeConfig, type EdgeRouteConfig } from './edge-schema.js';
export { microConfigSchema, type MicroConfig, type MicroRouteConfig } from './micro-schema.js';
export { durationMs } from './schema-parts.js';
export { jsonSchemas } from './json-schemas.js';
export { configTable, withConfigTable } from './config-tables.js';
export { policySchema, pdpSchema, type PolicyConfig, type PdpConfig, type ClaimRuleConfig } from './policy-schema.js';
