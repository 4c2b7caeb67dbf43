/** Exponential backoff for background retries: 1 s, 2 s, 4 s … capped at 30 s (attempt 0 → 1 s). */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(Math.max(attempt, 0), 5));
}
