/**
 * Edge gateway process: the only place that reads process.env and argv,
 * listens and handles signals.
 *   node dist/apps/edge/src/main.js --config edge.yaml [--check [--online]]
 */
import { parseArgs } from 'node:util';
import { edgeConfigSchema, loadConfig, ConfigError } from '../../../libs/config/index.js';
import { createLogger, createMetrics } from '../../../libs/observability/index.js';
import { createKeyring, loadPrivateKey, loadSigningKeys } from '../../../libs/keys/index.js';
import { createAsClientFromConfig, createIntrospectionCache, createTokenLookupFromConfig } from '../../../libs/introspection/index.js';
import { handleSignals, runMain, startAdmin, startServer, versionInfo, watchConfig } from '../../../libs/server/index.js';
import { createEdgeApp } from './app.js';
import { buildMinter, restartOnlyChanges } from './build-minter.js';
import { createRevocationFromConfig, edgeExposureWindow, edgeRetainSeconds, guardIntrospection } from '../../../libs/revocation/index.js';

runMain('phantom edge', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, check: { type: 'boolean', default: false }, online: { type: 'boolean', default: false } } });
  if (!values.config) throw new ConfigError('(command line)', ['--config <file> is required']);
  const file = values.config;
  let config = loadConfig(file, edgeConfigSchema, process.env);
  const logger = createLogger({ name: 'edge', level: config.logging.level, pretty: config.logging.pretty });

  const keys = createKeyring(await loadSigningKeys({ configFile: file, keys: config.keys.signing, generate: config.keys.generate, algorithm: config.minting.algorithm }));
  const mintStats = { signatures: 0, hits: 0 };
  const minter = buildMinter(config, file, keys, mintStats);
  if (config.keys.generate && config.keys.signing.length === 0) {
    logger.warn({ kid: keys.active.kid }, 'DEVELOPMENT MODE: signing with a generated key that dies with this process; never use this in production');
  }
  const as = config.authorizationServer;
  const privateKey = as.privateKeyFile && [as.clientAuth, as.bearer?.tokenEndpointAuth].includes('private_key_jwt')
    ? await loadPrivateKey(as.privateKeyFile, { alg: as.privateKeyAlg, field: 'authorizationServer.privateKeyFile', configFile: file })
    : undefined;
  const asClient = createAsClientFromConfig(as, privateKey && { key: privateKey.privateKey, kid: privateKey.kid });
  const causeOf = (err: Error) => String((err.cause as Error)?.message ?? err.message);
  if (values.check) {
    if (values.online) {
      await asClient.discover().catch((err: Error) => {
        throw new ConfigError(file, [`authorizationServer.issuer: discovery at ${as.issuer} failed (${causeOf(err)})`]);
      });
    }
    process.stdout.write(`${file}: configuration OK${values.online ? '; the authorization server answers discovery' : ''}\n${edgeExposureWindow(config)}\n`);
    return;
  }
  // discover in the background until it works (readiness depends on it), backing off from 1 s to 30 s
  const discover = (attempt: number): void => {
    asClient.discover().then(
      (metadata) => logger.info({ issuer: as.issuer, introspection_endpoint: metadata.introspection_endpoint }, 'authorization server discovered'),
      (err: Error) => {
        if (attempt === 0) logger.warn({ issuer: as.issuer, cause: causeOf(err) }, 'authorization server discovery failed; retrying');
        setTimeout(() => { if (!asClient.discovered) discover(attempt + 1); }, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))).unref();
      },
    );
  };
  discover(0);
  const introspection = createTokenLookupFromConfig(as, asClient, createIntrospectionCache({
    introspect: (token) => asClient.introspect(token),
    maxEntries: config.introspection.cacheMaxEntries,
    maxTtlSeconds: config.introspection.cacheMaxTtlSeconds,
    inactiveMaxEntries: config.introspection.inactiveCacheMaxEntries,
    inactiveTtlSeconds: config.introspection.inactiveCacheTtlSeconds,
    serveStaleSeconds: config.introspection.serveStaleSeconds,
  }), config.introspection.cacheMaxEntries);
  const metrics = createMetrics('edge');
  const { stats: i } = introspection;
  metrics.counterFrom('phantom_introspection_cache_hits_total', 'Requests answered from the introspection cache', () => i.hits);
  metrics.counterFrom('phantom_introspection_cache_misses_total', 'Requests that started an introspection', () => i.misses);
  metrics.counterFrom('phantom_introspection_shared_total', 'Requests that joined an introspection already in flight', () => i.shared);
  metrics.counterFrom('phantom_introspection_stale_total', 'Requests served from a stale entry while the AS was down', () => i.stale);
  metrics.counterFrom('phantom_introspection_calls_total', 'Introspection calls made to the AS', () => i.calls);
  metrics.counterFrom('phantom_mints_total', 'JWTs signed', () => mintStats.signatures);
  metrics.counterFrom('phantom_mint_cache_hits_total', 'Requests served a cached JWT', () => mintStats.hits);
  metrics.gaugeFrom('phantom_introspection_cache_entries', 'Entries in the introspection caches', () => introspection.size);

  // revocation push: the denylist checked right after the token lookup, the admin routes, the fan-out
  const revocation = config.revocation && createRevocationFromConfig(config.revocation, { realm: config.realm, logger, registry: metrics.registry, defaultRetainSeconds: edgeRetainSeconds(config) });
  const lookup = revocation ? guardIntrospection(introspection, revocation.service.store) : introspection;
  if (revocation) metrics.gaugeFrom('phantom_revocation_fanout_connected', '1 while the revocation fan-out reaches Redis (or needs none)', () => (revocation.fanOut.connected ? 1 : 0));
  let draining = false;
  const acceptance = { issuer: as.issuer, requiredAudience: as.requiredAudience };
  let edge = createEdgeApp({ config, logger, metrics, introspection: lookup, minter, keys, acceptance });
  const running = await startServer(edge.app, { ...config.server, realm: config.realm }, logger, edge.handle);
  const admin = config.admin.enabled ? await startAdmin({
    ...config.admin, registry: metrics.registry, version: versionInfo('edge'),
    checks: () => ({ authorizationServerDiscovered: asClient.discovered, notDraining: !draining }),
    routes: revocation?.routes,
  }) : undefined;
  logger.info({ url: running.url, admin: admin?.url, routes: config.routes.length, kid: keys.active.kid }, 'listening');

  // a changed file or SIGHUP: new routes, scopes, audiences, minting settings and signing keys,
  // without dropping a request (requests already in flight finish on the previous pipeline)
  const stopWatching = watchConfig({
    file, logger,
    apply: async () => {
      const next = loadConfig(file, edgeConfigSchema, process.env);
      const ignored = restartOnlyChanges(config, next);
      if (next.keys.signing.length > 0) {
        keys.replace(await loadSigningKeys({ configFile: file, keys: next.keys.signing, generate: false, algorithm: next.minting.algorithm }));
      }
      const nextEdge = createEdgeApp({ config: next, logger, metrics, introspection: lookup, minter: buildMinter(next, file, keys, mintStats), keys, acceptance });
      running.swap(nextEdge.app, nextEdge.handle);
      const previous = edge;
      edge = nextEdge;
      config = next;
      void previous.close();
      logger.info({ routes: next.routes.length, kid: keys.active.kid, published: keys.published.map((k) => k.kid), ...(ignored.length ? { needs_restart: ignored } : {}) }, 'configuration reloaded');
    },
  });

  handleSignals(logger, async () => {
    draining = true;
    stopWatching();
    await running.close(config.server.drainTimeoutMs);
    await edge.close();
    await revocation?.close();
    admin?.server.close();
  });
});
