import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../observability/index.js';
import { flushLogger } from '../observability/index.js';

/** `server.workers`: a number, or one per core */
export function workerCount(setting: 'auto' | number): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** messages between the primary and its workers (prom-client uses the same channel for its own) */
type Message =
  | { phantom: 'ready'; url: string; admin?: string | undefined }
  | { phantom: 'metrics'; id: number; text?: string; error?: string };
const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && 'phantom' in m;

export interface PrimaryOptions {
  program: 'edge' | 'micro';
  count: number;
  logger: Logger;
}

/**
 * The primary of `server.workers` > 1: serves no traffic. It forks the
 * workers (each runs the whole gateway; node:cluster shares the data and
 * admin ports between them), prints one ready line once all are ready
 * (or exits with the code of a worker that failed to start), replaces a
 * worker that dies later, passes SIGHUP (reload) and SIGTERM/SIGINT
 * (drain) to every worker and exits when the last one has drained.
 * `/metrics` on any worker answers for all of them (summed by prom-client's
 * AggregatorRegistry here).
 */
export function runPrimary(options: PrimaryOptions): void {
  const { logger, count } = options;
  const aggregator = new AggregatorRegistry();
  const ready = new Map<number, { url: string; admin?: string | undefined }>();
  let announced = false;
  let stopping = false;
  let exitCode = 0;

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.phantom === 'ready') {
      ready.set(worker.id, message);
      if (announced || ready.size < count) return;
      announced = true;
      logger.info({ workers: count, url: message.url, admin: message.admin }, 'all workers ready');
      process.stdout.write(`${JSON.stringify({ ready: true, program: options.program, url: message.url, admin: message.admin, workers: count })}\n`);
    } else if (message.phantom === 'metrics') {
      aggregator.clusterMetrics().then(
        (text) => worker.send({ phantom: 'metrics', id: message.id, text }),
        (err: Error) => worker.send({ phantom: 'metrics', id: message.id, error: err.message }),
      );
    }
  };
  const fork = () => cluster.fork().on('message', function (this: Worker, m: unknown) { onMessage(this, m); });
  const stopAll = () => { for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM'); };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (!stopping && !announced) {
      // a worker that cannot start (a port taken, a key unreadable): the program fails as it would without workers
      logger.error({ worker: worker.process.pid, code, signal }, 'a worker failed to start; stopping the others');
      stopping = true;
      exitCode = code || 1;
      stopAll();
    }
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void flushLogger(logger).then(() => process.exit(exitCode));
      return;
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting another in 1 s');
    setTimeout(() => { if (!stopping) fork(); }, 1000).unref();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'draining every worker');
      stopAll();
    });
  }
  process.on('SIGHUP', () => {
    logger.info('reloading every worker');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
  logger.info({ workers: count }, 'starting workers');
  for (let i = 0; i < count; i++) fork();
}

/** In a worker: tell the primary this worker serves. */
export function announceWorker(url: string, admin: string | undefined): void {
  process.send?.({ phantom: 'ready', url, admin } satisfies Message);
}

/** In a worker: `/metrics` for every worker of the cluster, summed by the primary. */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  void new AggregatorRegistry(); // its constructor installs prom-client's answer to the primary's metrics requests
  let next = 0;
  const pending = new Map<number, (m: Extract<Message, { phantom: 'metrics' }>) => void>();
  process.on('message', (m: unknown) => {
    if (isMessage(m) && m.phantom === 'metrics') pending.get(m.id)?.(m);
  });
  return () => new Promise((resolve, reject) => {
    const id = next++;
    const timer = setTimeout(() => { pending.delete(id); reject(new Error('the primary did not answer for the metrics')); }, 5000);
    pending.set(id, (m) => {
      clearTimeout(timer);
      pending.delete(id);
      if (m.text !== undefined) resolve(m.text); else reject(new Error(m.error ?? 'no metrics'));
    });
    process.send?.({ phantom: 'metrics', id } satisfies Message);
  });
}

/** for `--check`: what workers mean for this configuration */
export function describeWorkers(config: { server: { workers: 'auto' | number }; throttle?: { redis?: unknown } | undefined; routes?: readonly { rateLimit?: unknown }[] }): string {
  const n = workerCount(config.server.workers);
  if (n === 1) return '';
  const limits = !config.routes?.some((r) => r.rateLimit) ? 'no route rate limits'
    : config.throttle?.redis ? 'rate limits exact across workers (throttle.redis)'
      : `WARNING: rate limits are per worker (up to ${n}× a limit per instance); set throttle.redis for exact limits`;
  return `workers: ${n}${config.server.workers === 'auto' ? ' (auto: one per core)' : ''}, sharing the data and admin ports; caches per worker; ${limits}\n`;
}
