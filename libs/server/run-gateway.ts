import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger, createMetrics, droppedLogLines, type Logger, type Metrics, type Tracer } from '../observability/index.js';
import type { TracingConfig } from '../config/tracing-schema.js';
import { buildTracing } from './build-tracing.js';
import { createUpstreamPools, type UpstreamPools } from '../proxy/index.js';
import { handleSignals } from './handle-signals.js';
import { limitHeapGrowth } from './heap-growth.js';
import { runMain } from './run-main.js';
import { startAdmin } from './start-admin.js';
import { startServer, type RequestHandler } from './start-server.js';
import { versionInfo } from './version.js';
import { announceWorker, clusterMetrics, describeWorkers, runPrimary, workerCount } from './run-workers.js';
import { watchConfig } from './config-reloader.js';
import { createTlsListener, describeCertificates, serveTls } from '../tls/index.js';
import type { ServerTlsConfig } from '../config/tls-schema.js';

/** What every gateway configuration has: the runner reads these. */
export interface GatewayConfig {
  realm: string;
  server: { host: string; port: number; maxHeaderBytes: number; keepAliveTimeoutMs: number; headersTimeoutMs: number; drainTimeoutMs: number; tls?: ServerTlsConfig | undefined; workers: 'auto' | number };
  admin: { enabled: boolean; host: string; port: number };
  logging: { level: string; pretty: boolean };
  tracing?: TracingConfig | undefined;
}

/** One configuration's request pipeline, built whole before it serves. */
export interface Pipeline {
  handler: RequestHandler;
  /** runs synchronously right before the swap: makes shared state (a keyring) follow this pipeline */
  activate?(): void;
  /** once the requests it admitted have finished: releases what it holds */
  close(): Promise<void>;
  /** fields for the 'listening' and 'configuration reloaded' lines */
  summary: Record<string, unknown>;
}

/** What lives as long as the process: clients, caches, keys; built once, also by --check. */
export interface Runtime<C> {
  /** builds the pipeline for a configuration (start and every reload); throws to refuse it */
  build(config: C, previous: Pipeline | undefined): Promise<Pipeline>;
  /** background work of a real start (discovery, JWKS refresh); --check never runs it */
  start?(): void;
  /** --check --online: reaches the program's dependencies; returns what it proved */
  checkOnline?(): Promise<string>;
  /** the program's own admin API (e.g. revocations), mounted on the admin listener */
  adminRoutes?: Hono | undefined;
  /** readiness for traffic besides "not draining" */
  checks(): Record<string, boolean>;
  /** /readyz details besides the checks */
  details?(): Record<string, string>;
  stop?(): Promise<void>;
}

export interface GatewayContext<C> {
  file: string;
  config: C;
  logger: Logger;
  metrics: Metrics;
  pools: UpstreamPools;
  /** OpenTelemetry spans (tracing.otlp); undefined when tracing is off */
  tracer: Tracer | undefined;
}

/** A kind of gateway: a schema, a runtime built from the first configuration, the settings only a restart changes. */
export interface GatewayDefinition<C extends GatewayConfig> {
  program: 'edge' | 'micro';
  schema: z.ZodType<C>;
  loggerName(config: C): string;
  /** top-level keys a reload cannot change (they shape listeners, keys and long-lived clients) */
  restartOnly: readonly (keyof C & string)[];
  prepare(context: GatewayContext<C>): Promise<Runtime<C>>;
  /** what `--check` prints after "configuration OK" (effective limits, certificates …) */
  checkReport?(config: C): string;
}

/** The top-level keys whose value differs between two configurations, among `keys`. */
export function changedKeys<C>(before: C, after: C, keys: readonly (keyof C & string)[]): string[] {
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

/**
 * Runs a gateway program: load the configuration → build everything → serve
 * the data port and the admin port → reload on a changed file or SIGHUP
 * (build first, then swap at once, or change nothing) → drain on SIGTERM/SIGINT.
 * `--check` runs the same builders and exits. Start-up ends with one JSON line
 * on stdout, `{"ready":true,"program":…,"url":…,"admin":…}`, for supervisors and tests.
 *   node main.js --config gateway.yaml [--check [--online]]
 */
export function runGateway<C extends GatewayConfig>(definition: GatewayDefinition<C>): void {
  runMain(`phantom ${definition.program}`, async () => {
    limitHeapGrowth(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
    const { values } = parseArgs({ options: { config: { type: 'string' }, check: { type: 'boolean', default: false }, online: { type: 'boolean', default: false } } });
    if (!values.config) throw new ConfigError('(command line)', ['--config <file> is required']);
    const file = values.config;
    const load = () => loadConfig(file, definition.schema, process.env) as C;
    let config = load();
    const logger = createLogger({ name: definition.loggerName(config), level: config.logging.level, pretty: config.logging.pretty });
    // server.workers > 1: this process only supervises; its workers (node:cluster) run everything below
    const workers = workerCount(config.server.workers);
    if (!values.check && workers > 1 && cluster.isPrimary) {
      const note = describeWorkers(config as GatewayConfig & { throttle?: { redis?: unknown } });
      if (note.includes('WARNING')) logger.warn(note.trim());
      runPrimary({ program: definition.program, count: workers, logger });
      return;
    }
    if (cluster.isWorker) logger.setBindings({ worker: cluster.worker!.id }); // every line says which worker wrote it
    const metrics = createMetrics(definition.program);
    metrics.counterFrom('phantom_log_lines_dropped_total', 'Log lines dropped because the log sink did not keep up (its buffer was full)', () => droppedLogLines(logger));
    const pools = createUpstreamPools();
    // HTTPS on the data port: certificates loaded (and checked) at start; only the certificate files reload
    const tls = config.server.tls && createTlsListener(config.server.tls, file);
    const tracing = buildTracing(config.tracing, { program: definition.program, serviceName: `phantom-${definition.loggerName(config)}`, version: versionInfo(definition.program).version!, logger, metrics });
    const runtime = await definition.prepare({ file, config, logger, metrics, pools, tracer: tracing?.tracer });
    let pipeline = await runtime.build(config, undefined);

    if (values.check) {
      const online = values.online && runtime.checkOnline ? `; ${await runtime.checkOnline()}` : '';
      await pipeline.close();
      await runtime.stop?.();
      await tracing?.close();
      const certificates = tls ? describeCertificates(tls.certificates).lines.map((l) => `${l}\n`).join('') : '';
      const workerNote = describeWorkers(config as GatewayConfig & { throttle?: { redis?: unknown } });
      process.stdout.write(`${certificates}${file}: configuration OK${online}\n${definition.checkReport?.(config) ?? ''}${workerNote}`);
      return;
    }
    runtime.start?.();
    let draining = false;
    pipeline.activate?.();
    const running = await startServer(pipeline.handler, { ...config.server, realm: config.realm, tlsListener: tls }, logger);
    metrics.counterFrom('phantom_connections_dropped_total', 'Client connections closed at accept because server.maxConnections were open', () => running.dropped);
    const stopTls = serveTls(tls, logger, metrics.registry, config.server.tls?.watchIntervalMs ?? 1000);
    const admin = config.admin.enabled ? await startAdmin({
      ...config.admin, registry: metrics.registry, version: versionInfo(definition.program), routes: runtime.adminRoutes,
      checks: () => ({ ...runtime.checks(), notDraining: !draining }),
      ...(cluster.isWorker ? { metricsText: clusterMetrics(metrics.registry) } : {}),
      details: runtime.details && (() => runtime.details!()),
    }) : undefined;
    logger.info({ url: running.url, admin: admin?.url, ...pipeline.summary }, 'listening');
    if (cluster.isWorker) announceWorker(running.url, admin?.url); // the primary prints one ready line for all
    else process.stdout.write(`${JSON.stringify({ ready: true, program: definition.program, url: running.url, admin: admin?.url })}\n`);

    const stopWatching = watchConfig({
      file, logger,
      apply: async () => {
        const next = load();
        const ignored = changedKeys(config, next, definition.restartOnly);
        const built = await runtime.build(next, pipeline);
        built.activate?.();
        running.swap(built.handler);
        const previous = pipeline;
        [pipeline, config] = [built, next];
        void previous.close();
        logger.info({ ...built.summary, ...(ignored.length ? { needs_restart: ignored } : {}) }, 'configuration reloaded');
      },
    });

    // a worker drains when its primary says so (SIGTERM); a terminal's Ctrl-C reaches the primary, which tells every worker
    if (cluster.isWorker) process.on('SIGINT', () => undefined);
    handleSignals(logger, async () => {
      draining = true;
      stopWatching();
      stopTls();
      await running.close(config.server.drainTimeoutMs);
      await pipeline.close();
      await runtime.stop?.();
      await tracing?.close();
      admin?.server.close();
    }, cluster.isWorker ? ['SIGTERM'] : undefined);
  });
}
