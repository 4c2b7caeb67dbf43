import type { EdgeConfig, MicroConfig } from '../config/index.js';

/**
 * How long the edge must remember a revocation: the longest a token it saw
 * before can still pass from a cache (introspection TTL + serve-stale, or a
 * locally validated JWT access token's lifetime when it is not introspected).
 */
export function edgeRetainSeconds(config: EdgeConfig): number {
  const cached = config.introspection.cacheMaxTtlSeconds + config.introspection.serveStaleSeconds;
  const jwt = config.authorizationServer.jwtAccessTokens;
  return Math.ceil(Math.max(cached, jwt.enabled && jwt.introspect !== 'always' ? jwt.maxLifetimeSeconds + jwt.clockSkewSeconds : 0));
}

/** How long a micro gateway must remember one: the longest lifetime of a JWT it accepts, plus the clock skew. */
export function microRetainSeconds(config: MicroConfig): number {
  return config.verification.maxLifetimeSeconds + config.verification.clockSkewSeconds;
}

/**
 * The worst-case time a token revoked at the AS can still pass through this
 * edge (and the micro gateways behind it), for `--check`.
 */
export function edgeExposureWindow(config: EdgeConfig): string {
  const edge = edgeRetainSeconds(config);
  const jwt = config.minting.ttlSeconds;
  const lines = [`worst-case exposure after a revocation at the authorization server:`];
  lines.push(`  without a revocation push: ${edge + jwt} s (${edge} s from the edge's caches, then up to ${jwt} s for a JWT already minted)`);
  if (config.revocation) {
    const fanOut = config.revocation.redis ? 'Redis pub/sub' : config.revocation.peers.length ? `${config.revocation.peers.length} peer(s)` : 'this instance only';
    lines.push(`  with a push to this edge (revocation: on, fan-out: ${fanOut}${config.revocation.set ? ', SET receiver on' : ''}): the push delay at the edge;`,
      `    minted JWTs still in flight: refused by micro gateways with revocation configured, else up to ${jwt} s`);
  } else {
    lines.push('  revocation push: off (no `revocation` section)');
  }
  return lines.join('\n');
}
