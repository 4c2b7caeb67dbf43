/**
 * Micro gateway process: the only place that reads process.env and argv,
 * listens and handles signals.
 *   node dist/apps/micro/src/main.js --config micro.yaml [--check [--online]]
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, microConfigSchema } from '../../../libs/config/index.js';
import { createLogger, createMetrics } from '../../../libs/observability/index.js';
import { loadDecryptionKey } from '../../../libs/keys/index.js';
import { createJwksCache, createVerifier } from '../../../libs/verification/index.js';
import { handleSignals, runMain, startAdmin, startServer, versionInfo } from '../../../libs/server/index.js';
import { createMicroApp } from './app.js';
import { createThrottle, type RouteThrottle } from '../../../libs/throttle/index.js';

runMain('phantom micro', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, check: { type: 'boolean', default: false }, online: { type: 'boolean', default: false } } });
  if (!values.config) throw new ConfigError('(command line)', ['--config <file> is required']);
  const config = loadConfig(values.config, microConfigSchema, process.env);
  const decryption = config.encryption
    ? await loadDecryptionKey(config.encryption.keyFile, config.encryption.alg, { field: 'encryption.keyFile', configFile: values.config })
    : undefined;
  if (values.check) {
    if (values.online) {
      const reply = await fetch(config.jwks.url, { signal: AbortSignal.timeout(config.jwks.timeoutMs) }).catch((err: Error) => err);
      if (reply instanceof Error || !reply.ok) {
        throw new ConfigError(values.config, [`jwks.url: ${config.jwks.url} did not answer (${reply instanceof Error ? String((reply.cause as Error)?.message ?? reply.message) : `HTTP ${reply.status}`})`]);
      }
    }
    process.stdout.write(`${values.config}: configuration OK${values.online ? '; the JWKS endpoint answers' : ''}\n`);
    return;
  }
  const logger = createLogger({ name: `micro-${config.audience}`, level: config.logging.level });

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
  jwks.start();
  const verifier = createVerifier({
    jwks, audience: config.audience, ...config.verification,
    decryption: decryption && { mode: config.encryption!.mode, key: decryption.key, alg: decryption.alg },
  });
  const throttle = createThrottle({
    routes: Object.fromEntries(config.routes.map((r): [string, RouteThrottle] => [r.name, {
      perClient: r.rateLimit?.perClient && { limit: r.rateLimit.perClient.limit, windowMs: r.rateLimit.perClient.per },
      perRoute: r.rateLimit?.perRoute && { limit: r.rateLimit.perRoute.limit, windowMs: r.rateLimit.perRoute.per },
      concurrency: r.concurrency && { max: r.concurrency.max, queue: r.concurrency.queue, maxWaitMs: r.concurrency.maxWait },
    }])),
    maxClients: config.throttle.maxClients,
    redis: config.throttle.redis && { ...config.throttle.redis, prefix: `phantom:${config.audience}` },
    logger,
  });
  const metrics = createMetrics('micro');
  metrics.counterFrom('phantom_verifications_total', 'JWT signature verifications', () => verifier.stats.verifications);
  metrics.counterFrom('phantom_verification_cache_hits_total', 'Requests answered from the verified-token cache', () => verifier.stats.hits);
  metrics.counterFrom('phantom_jwks_fetches_total', 'JWKS fetches', () => jwks.stats.fetches);
  metrics.counterFrom('phantom_jwks_fetch_failures_total', 'JWKS fetches that failed', () => jwks.stats.failures);
  metrics.gaugeFrom('phantom_redis_connected', '1 while rate limits are shared through Redis', () => (throttle.sharedLimits ? 1 : 0));
  let draining = false;
  const micro = createMicroApp({ config, logger, metrics, verifier, throttle, encryptionJwk: config.encryption?.publish ? decryption?.publicJwk : undefined });
  const running = await startServer(micro.app, { ...config.server, realm: config.realm }, logger, micro.handle);
  const admin = config.admin.enabled ? await startAdmin({
    ...config.admin, registry: metrics.registry, version: versionInfo('micro'),
    ready: () => {
      const checks = { jwksLoaded: jwks.ready, notDraining: !draining };
      return { ready: Object.values(checks).every(Boolean), checks };
    },
  }) : undefined;
  logger.info({ url: running.url, admin: admin?.url, audience: config.audience, backend: config.backend }, 'listening');

  handleSignals(logger, async () => {
    draining = true;
    jwks.stop();
    await running.close(config.server.drainTimeoutMs);
    await throttle.close();
    admin?.server.close();
    await micro.close();
  });
});
