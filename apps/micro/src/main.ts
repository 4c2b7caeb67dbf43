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
import { handleSignals, runMain, startAdmin, startServer, versionInfo, watchConfig } from '../../../libs/server/index.js';
import { createMicroApp } from './app.js';
import { buildThrottle, restartOnlyChanges } from './build-throttle.js';
import { createRevocationFromConfig, guardVerifier, JTI_HASH_CHARS, microRetainSeconds } from '../../../libs/revocation/index.js';

runMain('phantom micro', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, check: { type: 'boolean', default: false }, online: { type: 'boolean', default: false } } });
  if (!values.config) throw new ConfigError('(command line)', ['--config <file> is required']);
  const file = values.config;
  let config = loadConfig(file, microConfigSchema, process.env);
  const decryption = config.encryption
    ? await loadDecryptionKey(config.encryption.keyFile, config.encryption.alg, { field: 'encryption.keyFile', configFile: file })
    : undefined;
  if (values.check) {
    if (values.online) {
      const reply = await fetch(config.jwks.url, { signal: AbortSignal.timeout(config.jwks.timeoutMs) }).catch((err: Error) => err);
      if (reply instanceof Error || !reply.ok) {
        throw new ConfigError(file, [`jwks.url: ${config.jwks.url} did not answer (${reply instanceof Error ? String((reply.cause as Error)?.message ?? reply.message) : `HTTP ${reply.status}`})`]);
      }
    }
    process.stdout.write(`${file}: configuration OK${values.online ? '; the JWKS endpoint answers' : ''}\n`);
    return;
  }
  const logger = createLogger({ name: `micro-${config.audience}`, level: config.logging.level, pretty: config.logging.pretty });

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
  let throttle = buildThrottle(config, logger);
  const metrics = createMetrics('micro');
  metrics.counterFrom('phantom_verifications_total', 'JWT signature verifications', () => verifier.stats.verifications);
  metrics.counterFrom('phantom_verification_cache_hits_total', 'Requests answered from the verified-token cache', () => verifier.stats.hits);
  metrics.counterFrom('phantom_jwks_fetches_total', 'JWKS fetches', () => jwks.stats.fetches);
  metrics.counterFrom('phantom_jwks_fetch_failures_total', 'JWKS fetches that failed', () => jwks.stats.failures);
  metrics.gaugeFrom('phantom_backend_in_flight', 'Requests in flight to the backend through concurrency gates', () => throttle.inFlight);
  metrics.gaugeFrom('phantom_backend_queued', 'Requests waiting for a concurrency slot', () => throttle.queued);
  metrics.gaugeFrom('phantom_redis_connected', '1 while rate limits are shared through Redis', () => (throttle.sharedLimits ? 1 : 0));
  // revocation push: JWTs of a revoked sub/client_id/jti, or minted from a revoked token (hash prefix in the jti), refused
  const revocation = config.revocation && createRevocationFromConfig(config.revocation, {
    realm: config.realm, logger, registry: metrics.registry, defaultRetainSeconds: microRetainSeconds(config), tokenHashChars: JTI_HASH_CHARS,
  });
  const guarded = revocation ? guardVerifier(verifier, revocation.service.store) : verifier;
  if (revocation) metrics.gaugeFrom('phantom_revocation_fanout_connected', '1 while the revocation fan-out reaches Redis (or needs none)', () => (revocation.fanOut.connected ? 1 : 0));
  let draining = false;
  const encryptionJwk = config.encryption?.publish ? decryption?.publicJwk : undefined;
  let micro = createMicroApp({ config, logger, metrics, verifier: guarded, throttle, encryptionJwk });
  const running = await startServer(micro.app, { ...config.server, realm: config.realm }, logger, micro.handle);
  const admin = config.admin.enabled ? await startAdmin({
    ...config.admin, registry: metrics.registry, version: versionInfo('micro'),
    checks: () => ({ jwksLoaded: jwks.ready, notDraining: !draining }),
    routes: revocation?.routes,
  }) : undefined;
  logger.info({ url: running.url, admin: admin?.url, audience: config.audience, backend: config.backend }, 'listening');

  // a changed file or SIGHUP: new routes, scopes, limits, claim headers, without dropping a request
  const stopWatching = watchConfig({
    file, logger,
    apply: async () => {
      const next = loadConfig(file, microConfigSchema, process.env);
      const ignored = restartOnlyChanges(config, next);
      const nextThrottle = buildThrottle(next, logger);
      const nextMicro = createMicroApp({ config: next, logger, metrics, verifier: guarded, throttle: nextThrottle, encryptionJwk });
      running.swap(nextMicro.app, nextMicro.handle);
      const [previousMicro, previousThrottle] = [micro, throttle];
      [micro, throttle, config] = [nextMicro, nextThrottle, next];
      void previousMicro.close().then(() => previousThrottle.close());
      logger.info({ routes: next.routes.length, ...(ignored.length ? { needs_restart: ignored } : {}) }, 'configuration reloaded');
    },
  });

  handleSignals(logger, async () => {
    draining = true;
    stopWatching();
    jwks.stop();
    await running.close(config.server.drainTimeoutMs);
    await throttle.close();
    await revocation?.close();
    admin?.server.close();
    await micro.close();
  });
});
