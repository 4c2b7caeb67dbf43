export { compileClaimRules, compilePathTemplate, type Claims, type ClaimCheck } from './claim-rules.js';
export { createAuthzenClient, processAuthzenResponse } from './authzen-client.js';
export { createOpaClient, processOpaResponse } from './opa-client.js';
export { createDecisionCache, type DecisionCache } from './decision-cache.js';
export { buildEvaluation, subjectKey } from './build-evaluation.js';
export { createPolicyCheck, type PolicyCheck, type PolicyRequest } from './create-policy-check.js';
export { createPolicyStats, registerPolicyMetrics, type PolicyStats } from './policy-stats.js';
export { PdpFailure } from './post-json.js';
export type { AuthzenEvaluation, Decision, PdpClient } from './evaluation.js';
