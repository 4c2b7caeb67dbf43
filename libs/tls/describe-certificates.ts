import type { LoadedCertificate } from './load-certificates.js';

const DAY_MS = 86_400_000;
export const EXPIRY_WARNING_DAYS = 14;

/** `--check` lines: each certificate's names and expiry, with a warning under 14 days (or already expired). */
export function describeCertificates(certificates: readonly LoadedCertificate[], now = Date.now()): { lines: string[]; warnings: number } {
  let warnings = 0;
  const lines = certificates.map((c) => {
    const days = Math.floor((c.notAfter.getTime() - now) / DAY_MS);
    const soon = days < EXPIRY_WARNING_DAYS;
    if (soon) warnings++;
    const state = days < 0 ? 'EXPIRED' : `${days} days left`;
    return `${soon ? 'WARNING ' : ''}tls certificate ${c.source}${c.isDefault ? ' (default)' : ''}: names ${c.serverNames.join(', ') || '(none)'}; expires ${c.notAfter.toISOString()} (${state})`;
  });
  return { lines, warnings };
}
