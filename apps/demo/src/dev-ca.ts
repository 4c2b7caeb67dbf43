/**
 * A throw-away development CA and leaf certificates, generated with the
 * openssl command line (Debian package `openssl`), with the names and
 * lifetimes asked for: the `npm start -- --tls` demo and the TLS tests
 * (test/support/certs.ts) use it. No private key is checked in.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Issued { cert: string; key: string; name: string }
export interface TestCa {
  dir: string;
  /** the CA certificate (PEM) */
  cert: string;
  key: string;
  issue(name: string, options?: { dns?: string[]; uris?: string[]; ips?: string[]; days?: number; file?: string }): Issued;
  /** a PKCS#12 bundle of an issued certificate, its key and the CA */
  pkcs12(issued: Issued, passphrase: string): string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function createTestCa(dir: string, name = 'Phantom Test CA'): TestCa {
  const slug = name.replace(/\W+/g, '-').toLowerCase();
  const cert = join(dir, `${slug}.pem`);
  const key = join(dir, `${slug}.key`);
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 0;
  return {
    dir, cert, key,
    issue(cn, options = {}) {
      const base = join(dir, options.file ?? `${cn.replace(/[^\w.-]+/g, '_')}-${++serial}`);
      const san = [...(options.dns ?? [cn]).map((d) => `DNS:${d}`), ...(options.uris ?? []).map((u) => `URI:${u}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
      writeFileSync(`${base}.ext`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', cert, '-CAkey', key, '-set_serial', String(Date.now() * 1000 + serial),
        '-days', String(options.days ?? 30), '-extfile', `${base}.ext`, '-out', `${base}.pem`]);
      return { cert: `${base}.pem`, key: `${base}.key`, name: cn };
    },
    pkcs12(issued, passphrase) {
      const out = issued.cert.replace(/\.pem$/, '.p12');
      openssl(['pkcs12', '-export', '-inkey', issued.key, '-in', issued.cert, '-certfile', cert, '-out', out, '-passout', `pass:${passphrase}`]);
      return out;
    },
  };
}
