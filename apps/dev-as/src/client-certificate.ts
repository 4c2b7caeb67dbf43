/**
 * The client certificate of a request to the development AS, for
 * oidc-provider's mTLS feature (RFC 8705): over HTTPS (`--tls-cert`) the one
 * presented in the handshake, verified against `--tls-client-ca` (the socket
 * says whether it chained); over plain HTTP the one a TLS-terminating proxy
 * forwards (URL-encoded PEM, like nginx's $ssl_client_escaped_cert), which is
 * never "authorized" (tls_client_auth needs the handshake; certificate-bound
 * tokens and self_signed_tls_client_auth only need the certificate).
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** the header the development AS reads a client certificate from when it listens on plain HTTP */
export const DEV_CLIENT_CERT_HEADER = 'x-dev-client-cert';

interface Ctx { get(name: string): string; req: { socket: unknown } }

function tlsSocket(ctx: Ctx): TLSSocket | undefined {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  return socket.encrypted === true ? socket as TLSSocket : undefined;
}

export function getCertificate(ctx: Ctx): X509Certificate | string | undefined {
  const socket = tlsSocket(ctx);
  if (socket) return socket.getPeerX509Certificate();
  const value = ctx.get(DEV_CLIENT_CERT_HEADER);
  return value ? decodeURIComponent(value) : undefined;
}

/** tls_client_auth: the handshake's certificate chained to the configured client CA */
export function certificateAuthorized(ctx: Ctx): boolean {
  return tlsSocket(ctx)?.authorized === true;
}

const SAN_PREFIX: Record<string, string> = {
  tls_client_auth_san_dns: 'DNS:', tls_client_auth_san_uri: 'URI:', tls_client_auth_san_ip: 'IP Address:', tls_client_auth_san_email: 'email:',
};

/** RFC 8705 §2.1.2: the registered subject DN (RFC 4514 string) or one SAN entry of the given type */
export function certificateSubjectMatches(ctx: Ctx, property: string, expected: string): boolean {
  const cert = tlsSocket(ctx)?.getPeerX509Certificate();
  if (!cert) return false;
  if (property === 'tls_client_auth_subject_dn') return cert.subject.split('\n').reverse().join(',') === expected;
  const prefix = SAN_PREFIX[property];
  if (!prefix || !cert.subjectAltName) return false;
  return cert.subjectAltName.split(', ').some((entry) => entry === `${prefix}${expected}`);
}
