import { ConfigError, microConfigSchema, type MicroConfig } from '../../../libs/config/index.js';
import { loadDecryptionKey } from '../../../libs/keys/index.js';
import { createJwksCache, createVerifier } from '../../../libs/verification/index.js';
import { withFallback, type GatewayDefinition } from '../../../libs/server/index.js';
import { createPolicyStats, registerPolicyMetrics } from '../../../libs/policy/index.js';
import { registerThrottleMetrics, type Throttle } from '../../../libs/throttle/index.js';
import { createRevocationFromConfig, guardVerifier, JTI_HASH_CHARS, microRetainSeconds } from '../../../libs/revocation/index.js';
import { createMicroApp } from './app.js';
import { buildThrottle, describeThrottle } from './build-throttle.js';

/** The micro gateway as the runner builds it: JWKS cache, verifier and decryption key live as long as the process. */
export const microGateway: GatewayDefinition<MicroConfig> = {
  program: 'micro',
  schema: microConfigSchema,
  loggerName: (config) => `micro-${config.audience}`,
  checkReport: describeThrottle,
  restartOnly: ['server', 'admin', 'audience', 'jwks', 'verification', 'encryption', 'realm', 'logging', 'tracing'],
  async prepare({ file, config, logger, metrics, pools, tracer }) {
    const decryption = config.encryption
      ? await loadDecryptionKey(config.encryption.keyFile, config.encryption.alg, { field: 'encryption.keyFile', configFile: file })
      : undefined;
    const jwks = createJwksCache({
      ...config.jwks,
      algorithms: config.verification.algorithms,
      onEvent: (event) => {
        if (event.type === 'fetched') {
          logger.info({ keys: event.keys, max_age_s: event.maxAgeSeconds }, 'jwks fetched');
          for (const r of event.rejected) logger.warn({ kid: r.kid, problem: r.problem }, 'jwks key refused');
        } else {
          logger.warn({ url: config.jwks.url, error: event.error }, 'jwks fetch failed; keeping the last good keys');
        }
      },
    });
    const verifier = createVerifier({
      jwks, audience: config.audience, ...config.verification,
      decryption: decryption && { mode: config.encryption!.mode, key: decryption.key, alg: decryption.alg },
    });
    const encryptionJwk = config.encryption?.publish ? decryption?.publicJwk : undefined;
    // revocation push: JWTs of a revoked sub/client_id/jti, or minted from a revoked token (hash prefix in the jti), refused
    const revocation = config.revocation && createRevocationFromConfig(config.revocation, {
      realm: config.realm, logger, registry: metrics.registry, defaultRetainSeconds: microRetainSeconds(config), tokenHashChars: JTI_HASH_CHARS,
    });
    const guarded = revocation ? guardVerifier(verifier, revocation.service.store) : verifier;
    if (revocation) metrics.gaugeFrom('phantom_revocation_fanout_connected', '1 while the revocation fan-out reaches Redis (or needs none)', () => (revocation.fanOut.connected ? 1 : 0));
    // policy counters live as long as the process: every pipeline adds to the same ones
    const policyStats = createPolicyStats();
    registerPolicyMetrics(metrics, policyStats);
    let throttle: Throttle | undefined; // the one in force: the gauges read it
    metrics.counterFrom('phantom_verifications_total', 'JWT signature verifications', () => verifier.stats.verifications);
    metrics.counterFrom('phantom_verification_cache_hits_total', 'Requests answered from the verified-token cache', () => verifier.stats.hits);
    metrics.counterFrom('phantom_jwks_fetches_total', 'JWKS fetches', () => jwks.stats.fetches);
    metrics.counterFrom('phantom_jwks_fetch_failures_total', 'JWKS fetches that failed', () => jwks.stats.failures);
    metrics.gaugeFrom('phantom_backend_in_flight', 'Requests in flight to the backend through concurrency gates', () => throttle?.inFlight ?? 0);
    metrics.gaugeFrom('phantom_backend_queued', 'Requests waiting for a concurrency slot', () => throttle?.queued ?? 0);
    metrics.gaugeFrom('phantom_redis_connected', '1 while rate limits are shared through Redis', () => (throttle?.sharedLimits ? 1 : 0));
    registerThrottleMetrics(metrics.registry, () => throttle?.ruleStats ?? []);

    return {
      async build(next) {
        // unchanged routes keep their windows and in-flight counts (handed over by the throttle in force)
        const nextThrottle = buildThrottle(next, logger, throttle);
        const micro = createMicroApp({ config: next, logger, metrics, verifier: guarded, throttle: nextThrottle, encryptionJwk, pools, policyStats, tracer });
        return {
          handler: withFallback(micro.handle, micro.app),
          activate: () => { throttle = nextThrottle; },
          close: async () => { await micro.close(); await nextThrottle.close(); },
          summary: { routes: next.routes.length, audience: next.audience, backend: next.backend },
        };
      },
      start: () => jwks.start(),
      async checkOnline() {
        const reply = await fetch(config.jwks.url, { signal: AbortSignal.timeout(config.jwks.timeoutMs) }).catch((err: Error) => err);
        if (reply instanceof Error || !reply.ok) {
          throw new ConfigError(file, [`jwks.url: ${config.jwks.url} did not answer (${reply instanceof Error ? String((reply.cause as Error)?.message ?? reply.message) : `HTTP ${reply.status}`})`]);
        }
        return 'the JWKS endpoint answers';
      },
      checks: () => ({ jwksLoaded: jwks.ready }),
      adminRoutes: revocation?.routes,
      stop: async () => { jwks.stop(); await revocation?.close(); },
    };
  },
};
