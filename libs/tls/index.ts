export { loadCertificates, dnsNames, type LoadedCertificate } from './load-certificates.js';
export { createSniSelector, type SniSelector } from './sni-context.js';
export { createTlsListener, type TlsListener } from './create-tls-listener.js';
export { watchCertificates } from './watch-certificates.js';
export { describeCertificates, EXPIRY_WARNING_DAYS } from './describe-certificates.js';
export { registerCertificateExpiry } from './certificate-metric.js';
export { createPeerCheck, peerIdentities, type PeerAllowList } from './peer-identity.js';
export { serveTls } from './serve-tls.js';
export { createH2Server } from './create-h2-server.js';
