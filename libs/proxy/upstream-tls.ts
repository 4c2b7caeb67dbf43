import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../config/index.js';
import type { UpstreamTlsConfig } from '../config/tls-schema.js';
import { GatewayError } from '../errors/index.js';

function read(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError('configuration', [`${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

/**
 * The TLS options of an https upstream's connections (undici `connect`):
 * the CA its server certificate must chain to (default: the system's), the
 * client certificate this gateway presents (mutual TLS), the expected name.
 * Certificate verification is never switched off.
 */
export function upstreamTlsOptions(tls: UpstreamTlsConfig | undefined, field = 'upstream.tls'): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: true };
  if (!tls) return options;
  if (tls.caFile) options.ca = read(tls.caFile, `${field}.caFile`);
  if (tls.certFile) options.cert = read(tls.certFile, `${field}.certFile`);
  if (tls.keyFile) options.key = read(tls.keyFile, `${field}.keyFile`);
  if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
  if (tls.serverName) options.servername = tls.serverName;
  return options;
}

/** OpenSSL/Node codes of a server certificate that did not verify */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_REVOKED', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
]);

/**
 * A TLS failure towards an https upstream as a 502 that says what went wrong
 * (the code is the same `upstream_unavailable`; the description and the
 * logged reason name the TLS problem), or undefined for other errors.
 */
export function upstreamTlsError(err: Error & { code?: string; socket?: { bytesRead?: number } }): GatewayError | undefined {
  const code = err.code ?? '';
  if (code === 'UND_ERR_SOCKET' && err.socket?.bytesRead === 0) {
    // TLS 1.3: the server checks the client certificate after the client's handshake has finished, and its alert
    // reaches undici only as a connection closed before any byte of a response
    return new GatewayError('upstream_unavailable', 'the upstream closed the TLS connection before answering (did it refuse this gateway\'s client certificate?)', { reason: 'tls_closed_before_response', cause: err });
  }
  if (UNTRUSTED.has(code)) {
    return new GatewayError('upstream_unavailable', `the upstream's TLS certificate was not accepted (${code.toLowerCase()})`, { reason: 'tls_untrusted_server_certificate', cause: err });
  }
  if (code.startsWith('ERR_SSL_')) {
    const peerAlert = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(code);
    return new GatewayError('upstream_unavailable', peerAlert
      ? 'the upstream refused this gateway\'s TLS client certificate'
      : 'the TLS handshake with the upstream failed', { reason: peerAlert ? 'tls_client_certificate_refused' : 'tls_handshake_failed', cause: err });
  }
  return undefined;
}
