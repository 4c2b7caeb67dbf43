import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../config/index.js';
import type { ServerTlsConfig } from '../config/tls-schema.js';

export interface LoadedCertificate {
  /** where it came from (the file), for logs, metrics and --check */
  source: string;
  /** the SNI names it serves (configured, or the certificate's DNS names) */
  serverNames: string[];
  subject: string;
  notAfter: Date;
  isDefault: boolean;
  /** what a TLS server needs to serve it (key, cert or pfx, plus the listener's protocol settings) */
  options: SecureContextOptions;
  context: SecureContext;
}

function read(file: string, field: string, configFile: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(configFile, [`${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

/** DNS names of a certificate: its subjectAltName DNS entries, else its subject CN */
export function dnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName?.split(', ').filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase()) ?? [];
  if (san.length > 0) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** protocol settings shared by every certificate of a listener: TLS 1.2 minimum, Node's secure default ciphers */
export function protocolOptions(tls: ServerTlsConfig, configFile: string): SecureContextOptions {
  const options: SecureContextOptions = { minVersion: tls.minVersion, honorCipherOrder: true };
  if (tls.ciphers) options.ciphers = tls.ciphers;
  if (tls.clientAuth?.caFile) options.ca = read(tls.clientAuth.caFile, 'server.tls.clientAuth.caFile', configFile);
  return options;
}

/**
 * Reads every certificate of a TLS listener (PEM files or a PKCS#12 bundle),
 * builds its secure context, and reads its names and expiry. A file that is
 * missing or does not hold a usable key and certificate is a ConfigError
 * naming the field; nothing is half-loaded.
 */
export function loadCertificates(tls: ServerTlsConfig, configFile: string): LoadedCertificate[] {
  const shared = protocolOptions(tls, configFile);
  const explicitDefault = tls.certificates.some((c) => c.default);
  return tls.certificates.map((c, i) => {
    const field = `server.tls.certificates[${i}]`;
    const options: SecureContextOptions = { ...shared };
    if (c.pfxFile) {
      options.pfx = read(c.pfxFile, `${field}.pfxFile`, configFile);
    } else {
      options.cert = read(c.certFile!, `${field}.certFile`, configFile);
      options.key = read(c.keyFile!, `${field}.keyFile`, configFile);
    }
    if (c.passphrase !== undefined) options.passphrase = c.passphrase;
    const source = c.pfxFile ?? c.certFile!;
    let context: SecureContext;
    let cert: X509Certificate;
    try {
      context = createSecureContext(options);
      // the leaf certificate the context will serve (for a PKCS#12 bundle, read back from OpenSSL)
      const der = (context.context as { getCertificate(): Buffer | null }).getCertificate();
      if (!der) throw new Error('no certificate in it');
      cert = new X509Certificate(der);
    } catch (err) {
      throw new ConfigError(configFile, [`${field}: ${source} does not hold a usable certificate and key (${(err as Error).message})`]);
    }
    return {
      source,
      serverNames: (c.serverNames ?? dnsNames(cert)).map((n) => n.toLowerCase()),
      subject: cert.subject.replace(/\n/g, ', '),
      notAfter: new Date(cert.validTo),
      isDefault: explicitDefault ? c.default : i === 0,
      options,
      context,
    };
  });
}
