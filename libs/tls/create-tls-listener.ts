import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ServerTlsConfig } from '../config/tls-schema.js';
import { loadCertificates, type LoadedCertificate } from './load-certificates.js';
import { createSniSelector } from './sni-context.js';
import { createPeerCheck } from './peer-identity.js';

export interface TlsListener {
  /** options for https.createServer: the default certificate, SNI, protocol floor, client certificates */
  readonly serverOptions: HttpsServerOptions;
  /** the certificates served now */
  readonly certificates: readonly LoadedCertificate[];
  /** every file the certificates come from (for the watcher) */
  readonly files: readonly string[];
  /** when client certificates have an allow-list: is this connection's peer allowed? */
  readonly peerAllowed: ((socket: TLSSocket) => boolean) | undefined;
  /** HTTP/2 over ALPN next to HTTP/1.1 */
  readonly http2: boolean;
  /** the server the listener serves on (for reloads) */
  attach(server: HttpsServer): void;
  /**
   * Re-reads every certificate and key; swaps them all at once for new
   * handshakes (open connections keep theirs), or throws a ConfigError and
   * changes nothing.
   */
  reload(): readonly LoadedCertificate[];
}

/** A TLS listener's certificates (SNI with wildcards and a default), TLS 1.2 minimum, optional client certificates. */
export function createTlsListener(tls: ServerTlsConfig, configFile: string): TlsListener {
  let certificates = loadCertificates(tls, configFile);
  let sni = createSniSelector(certificates);
  let server: HttpsServer | undefined;
  const files = tls.certificates.flatMap((c) => [c.certFile, c.keyFile, c.pfxFile].filter((f): f is string => f !== undefined));
  if (tls.clientAuth?.caFile) files.push(tls.clientAuth.caFile);
  const serverOptions: HttpsServerOptions = {
    ...sni.defaultCertificate.options,
    SNICallback: (name, cb) => cb(null, sni.select(name)),
  };
  if (tls.clientAuth) {
    serverOptions.requestCert = true;
    serverOptions.rejectUnauthorized = tls.clientAuth.required;
  }
  return {
    serverOptions,
    get certificates() { return certificates; },
    files,
    http2: tls.http2,
    peerAllowed: tls.clientAuth ? createPeerCheck(tls.clientAuth.allow) : undefined,
    attach(s) { server = s; },
    reload() {
      const next = loadCertificates(tls, configFile);
      const nextSni = createSniSelector(next);
      server?.setSecureContext(nextSni.defaultCertificate.options);
      [certificates, sni] = [next, nextSni];
      return next;
    },
  };
}
