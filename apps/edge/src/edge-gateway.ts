import { ConfigError, edgeConfigSchema, type EdgeConfig } from '../../../libs/config/index.js';
import { createKeyring, loadPrivateKey, loadSigningKeys } from '../../../libs/keys/index.js';
import { createAsClientFromConfig, createIntrospectionCache, createMissGuard, createTokenLookupFromConfig } from '../../../libs/introspection/index.js';
import { withFallback, type GatewayDefinition } from '../../../libs/server/index.js';
import { createPolicyStats, registerPolicyMetrics } from '../../../libs/policy/index.js';
import { registerThrottleMetrics, type Throttle } from '../../../libs/throttle/index.js';
import { backoffMs } from '../../../libs/retry/backoff.js';
import { createDpopVerifier } from '../../../libs/dpop/index.js';
import { createRevocationFromConfig, edgeExposureWindow, edgeRetainSeconds, guardIntrospection } from '../../../libs/revocation/index.js';
import { createEdgeApp } from './app.js';
import { buildMinter } from './build-minter.js';
import { buildEdgeThrottle, describeEdgeThrottle } from './build-edge-throttle.js';
import { buildSharedCache, describeSharedCache } from './build-shared-cache.js';

const causeOf = (err: Error) => String((err.cause as Error)?.message ?? err.message);

/** The edge gateway as the runner builds it: AS client, introspection cache and keyring live as long as the process. */
export const edgeGateway: GatewayDefinition<EdgeConfig> = {
  program: 'edge',
  schema: edgeConfigSchema,
  loggerName: () => 'edge',
  checkReport: (config) => `${describeEdgeThrottle(config)}${describeSharedCache(config)}${edgeExposureWindow(config)}\n`,
  restartOnly: ['server', 'admin', 'authorizationServer', 'introspection', 'issuer', 'realm', 'logging', 'tracing', 'proofOfPossession'],
  async prepare({ file, config, logger, metrics, pools, tracer }) {
    const keys = createKeyring(await loadSigningKeys({ configFile: file, keys: config.keys.signing, generate: config.keys.generate, algorithm: config.minting.algorithm }));
    if (config.keys.generate && config.keys.signing.length === 0) {
      logger.warn({ kid: keys.active.kid }, 'DEVELOPMENT MODE: signing with a generated key that dies with this process; never use this in production');
    }
    const as = config.authorizationServer;
    const privateKey = as.privateKeyFile && [as.clientAuth, as.bearer?.tokenEndpointAuth].includes('private_key_jwt')
      ? await loadPrivateKey(as.privateKeyFile, { alg: as.privateKeyAlg, field: 'authorizationServer.privateKeyFile', configFile: file })
      : undefined;
    const asClient = createAsClientFromConfig(as, privateKey && { key: privateKey.privateKey, kid: privateKey.kid });
    // unknown tokens are rate-limited per peer, and calls capped, before they reach the AS (restart-only settings)
    const missGuard = createMissGuard({
      maxConcurrent: config.introspection.maxConcurrentCalls,
      perPeer: { limit: config.introspection.unknownTokensPerPeer.limit, windowMs: config.introspection.unknownTokensPerPeer.per },
    });
    const shared = buildSharedCache(config, logger, metrics); // restart-only, as all of `introspection`
    const introspection = createTokenLookupFromConfig(as, asClient, createIntrospectionCache({
      introspect: (token) => asClient.introspect(token),
      maxEntries: config.introspection.cacheMaxEntries,
      maxTtlSeconds: config.introspection.cacheMaxTtlSeconds,
      inactiveMaxEntries: config.introspection.inactiveCacheMaxEntries,
      inactiveTtlSeconds: config.introspection.inactiveCacheTtlSeconds,
      serveStaleSeconds: config.introspection.serveStaleSeconds,
      guard: missGuard,
      shared: shared?.cache,
    }), config.introspection.cacheMaxEntries);
    // revocation push: the denylist checked right after the token lookup, the admin routes, the fan-out
    const revocation = config.revocation && createRevocationFromConfig(config.revocation, { realm: config.realm, logger, registry: metrics.registry, defaultRetainSeconds: edgeRetainSeconds(config),
      // a revoked token must not come back from the shared cache
      onApplied: shared && ((r) => { if (r.kind === 'token_sha256') void shared.cache.evict(r.value); }) });
    const lookup = revocation ? guardIntrospection(introspection, revocation.service.store) : introspection;
    if (revocation) metrics.gaugeFrom('phantom_revocation_fanout_connected', '1 while the revocation fan-out reaches Redis (or needs none)', () => (revocation.fanOut.connected ? 1 : 0));
    const mintStats = { signatures: 0, hits: 0 };
    const { stats: i } = introspection;
    metrics.counterFrom('phantom_introspection_refused_rate_total', 'Unknown tokens refused before introspection: per-peer rate', () => missGuard.refused.rate);
    metrics.counterFrom('phantom_introspection_refused_concurrency_total', 'Unknown tokens refused before introspection: calls in flight at the cap', () => missGuard.refused.concurrency);
    metrics.counterFrom('phantom_introspection_cache_hits_total', 'Requests answered from the introspection cache', () => i.hits);
    metrics.counterFrom('phantom_introspection_cache_misses_total', 'Requests that started an introspection', () => i.misses);
    metrics.counterFrom('phantom_introspection_shared_total', 'Requests that joined an introspection already in flight', () => i.shared);
    metrics.counterFrom('phantom_introspection_stale_total', 'Requests served from a stale entry while the AS was down', () => i.stale);
    metrics.counterFrom('phantom_introspection_calls_total', 'Introspection calls made to the AS', () => i.calls);
    metrics.counterFrom('phantom_mints_total', 'JWTs signed', () => mintStats.signatures);
    metrics.counterFrom('phantom_mint_cache_hits_total', 'Requests served a cached JWT', () => mintStats.hits);
    metrics.gaugeFrom('phantom_introspection_cache_entries', 'Entries in the introspection caches', () => introspection.size);
    const acceptance = { issuer: as.issuer, requiredAudience: as.requiredAudience, clockSkewSeconds: config.introspection.clockSkewSeconds };
    // policy counters live as long as the process: every pipeline adds to the same ones
    const policyStats = createPolicyStats();
    registerPolicyMetrics(metrics, policyStats);
    let first = true;
    // one DPoP verifier per process: its replay cache must survive reloads (DPoP settings are restart-only)
    const dpopConfig = config.proofOfPossession.dpop;
    const dpop = dpopConfig.enabled ? createDpopVerifier(dpopConfig) : undefined;
    let throttle: Throttle | undefined; // the one in force: the metrics read it, the next configuration takes its buckets over
    registerThrottleMetrics(metrics.registry, () => throttle?.ruleStats ?? []);

    return {
      async build(next) {
        // a reload may bring new signing keys: loaded here, put in force only by activate()
        const nextKeys = !first && next.keys.signing.length > 0
          ? await loadSigningKeys({ configFile: file, keys: next.keys.signing, generate: false, algorithm: next.minting.algorithm })
          : undefined;
        first = false;
        const minter = buildMinter(next, file, keys, mintStats); // reads the keyring when it signs
        const nextThrottle = buildEdgeThrottle(next, logger, throttle);
        const edge = createEdgeApp({
          config: next, logger, metrics, introspection: lookup, minter, keys, acceptance, pools, dpop, policyStats,
          throttle: nextThrottle, tracer,
        });
        return {
          handler: withFallback(edge.handle, edge.app),
          activate: () => { if (nextKeys) keys.replace(nextKeys); throttle = nextThrottle; },
          close: async () => { await edge.close(); await nextThrottle.close(); },
          get summary() { return { routes: next.routes.length, kid: keys.active.kid, published: keys.published.map((k) => k.kid) }; },
        };
      },
      start() {
        // discover in the background until it works (readiness depends on it), backing off from 1 s to 30 s
        const discover = (attempt: number): void => {
          asClient.discover().then(
            (metadata) => logger.info({ issuer: as.issuer, introspection_endpoint: metadata.introspection_endpoint }, 'authorization server discovered'),
            (err: Error) => {
              if (attempt === 0) logger.warn({ issuer: as.issuer, cause: causeOf(err) }, 'authorization server discovery failed; retrying');
              setTimeout(() => { if (!asClient.discovered) discover(attempt + 1); }, backoffMs(attempt)).unref();
            },
          );
        };
        discover(0);
      },
      async checkOnline() {
        await asClient.discover().catch((err: Error) => {
          throw new ConfigError(file, [`authorizationServer.issuer: discovery at ${as.issuer} failed (${causeOf(err)})`]);
        });
        return 'the authorization server answers discovery';
      },
      checks: () => ({ authorizationServerDiscovered: asClient.discovered, ...(shared?.failClosed ? { sharedCacheUp: shared.cache.up } : {}) }),
      ...(shared ? { details: () => ({ introspectionCache: shared.describe() }) } : {}),
      adminRoutes: revocation?.routes,
      stop: async () => { await revocation?.close(); await shared?.cache.close(); },
    };
  },
};
