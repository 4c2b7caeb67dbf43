import { z } from 'zod';

/** one certificate of a TLS listener: PEM certificate (chain) + key files, or a PKCS#12 bundle */
const certificate = z.strictObject({
  certFile: z.string().min(1).optional().describe('PEM certificate, optionally followed by its intermediate chain'),
  keyFile: z.string().min(1).optional().describe('PEM private key (PKCS#8 or traditional)'),
  pfxFile: z.string().min(1).optional().describe('a PKCS#12 (.p12/.pfx) bundle holding the key and the certificate chain'),
  passphrase: z.string().optional().describe('passphrase of the key or the PKCS#12 bundle (use ${VAR})'),
  serverNames: z.array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name, optionally starting with "*."')).optional().describe('SNI names this certificate serves (`*.example.com` matches one label); default: the certificate\'s DNS names'),
  default: z.boolean().default(false).describe('served when the client sends no SNI name or one no certificate matches; default: the first certificate'),
}).superRefine((c, ctx) => {
  const pem = c.certFile !== undefined || c.keyFile !== undefined;
  if (pem === (c.pfxFile !== undefined)) ctx.addIssue({ code: 'custom', message: 'give either certFile and keyFile, or pfxFile' });
  else if (pem && (c.certFile === undefined || c.keyFile === undefined)) ctx.addIssue({ code: 'custom', message: 'certFile and keyFile go together' });
});

/** requiring a client certificate (mutual TLS) on a listener */
const clientAuth = z.strictObject({
  caFile: z.string().min(1).optional().describe('PEM file of the CA(s) a client certificate must chain to (optional with required: false, e.g. for self-signed certificates bound to tokens)'),
  required: z.boolean().default(true).describe('without a valid client certificate the handshake fails; false: a client may come without one (then the allow-list refuses it)'),
  /** when any list is given, the certificate's identity must appear in one of them, or the request gets 403 before any token work */
  allow: z.strictObject({
    subjects: z.array(z.string().min(1)).default([]).describe('subject common names'),
    dns: z.array(z.string().min(1)).default([]).describe('subjectAltName DNS names'),
    uris: z.array(z.string().min(1)).default([]).describe('subjectAltName URIs, e.g. spiffe://example.org/edge'),
  }).prefault({}),
}).refine((c) => !c.required || c.caFile !== undefined, { path: ['caFile'], message: 'required when client certificates are required' });

export const serverTlsSchema = z.strictObject({
  certificates: z.array(certificate).min(1),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  ciphers: z.string().min(1).optional().describe('OpenSSL cipher list for TLS 1.2; default: Node\'s secure default list'),
  clientAuth: clientAuth.optional(),
  http2: z.boolean().default(false).describe('also speak HTTP/2 to clients that offer it in ALPN (HTTP/1.1 stays for the others)'),
  watchIntervalMs: z.number().int().positive().default(1000).describe('how often certificate files are checked for changes (SIGHUP re-reads them at once)'),
}).superRefine((tls, ctx) => {
  if (tls.certificates.filter((c) => c.default).length > 1) ctx.addIssue({ code: 'custom', path: ['certificates'], message: 'at most one certificate can be the default' });
});

/** TLS towards an https upstream (mutual TLS when a client certificate is given) */
export const upstreamTlsSchema = z.strictObject({
  caFile: z.string().min(1).optional().describe('PEM file of the CA(s) the upstream\'s server certificate must chain to; default: the system\'s CAs'),
  certFile: z.string().min(1).optional().describe('client certificate presented to the upstream (PEM), with keyFile'),
  keyFile: z.string().min(1).optional(),
  passphrase: z.string().optional(),
  serverName: z.string().min(1).optional().describe('the name the upstream\'s certificate must carry, when it differs from the URL\'s host'),
}).refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together' });

export type ServerTlsConfig = z.output<typeof serverTlsSchema>;
export type UpstreamTlsConfig = z.output<typeof upstreamTlsSchema>;
