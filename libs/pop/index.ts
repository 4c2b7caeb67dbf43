export { createCertificateBinding, certificateThumbprint, type CertificateBinding } from './certificate-binding.js';
export { requireSenderConstraint } from './require-sender-constraint.js';
