import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../observability/index.js';
import type { Revocation, RevocationStore } from './revocation-store.js';

/** where a revocation came from: this instance's admin API, a SET, the fan-out from another instance */
export type RevocationSource = 'admin' | 'set' | 'fanout';

export interface RevocationService {
  readonly store: RevocationStore;
  /** remembers it and, unless it came from the fan-out, tells the other instances */
  apply(revocation: Revocation, source: RevocationSource): void;
}

export interface RevocationServiceOptions {
  store: RevocationStore;
  logger: Logger;
  registry?: Registry;
  /** hands a local revocation to the other instances */
  publish?: (revocation: Revocation) => void;
  /** called with every revocation that changed the denylist (e.g. to evict a shared cache entry) */
  onApplied?: ((revocation: Revocation) => void) | undefined;
}

/** One way in for every source; counts what was received and applied, per source. */
export function createRevocationService(options: RevocationServiceOptions): RevocationService {
  const { store, logger } = options;
  const registers = options.registry ? [options.registry] : [];
  const received = new Counter({ name: 'phantom_revocations_received_total', help: 'Revocations received, by source', labelNames: ['source'], registers });
  const applied = new Counter({ name: 'phantom_revocations_applied_total', help: 'Revocations that changed the denylist, by source', labelNames: ['source'], registers });
  return {
    store,
    apply(revocation, source) {
      received.inc({ source });
      const changed = store.add(revocation);
      if (changed) { applied.inc({ source }); options.onApplied?.(revocation); }
      // the value of a sub/client_id/jti is an identifier, a token only ever travels as its hash
      logger.info({ kind: revocation.kind, value: revocation.value, at: revocation.at, source, changed }, 'revocation applied');
      if (source !== 'fanout') options.publish?.(revocation);
    },
  };
}
