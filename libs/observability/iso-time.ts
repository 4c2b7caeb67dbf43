/**
 * pino's `timestamp` for JSON lines, `,"time":"2026-11-25T22:48:32.262Z"`,
 * exactly as `pino.stdTimeFunctions.isoTime` prints it, without a Date and
 * `toISOString()` per line: the text up to the second is kept and only the
 * milliseconds change. Under callgrind pino's isoTime cost ~8 500
 * instructions per access line of the micro gateway (~2 % of a request).
 */
let second = Number.NaN;
let head = '';

export function isoTime(): string {
  const now = Date.now();
  const ms = now % 1000;
  const s = now - ms;
  if (s !== second) {
    second = s;
    const iso = new Date(s).toISOString(); // …T22:48:32.000Z
    head = `,"time":"${iso.slice(0, -4)}`;
  }
  return `${head}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}
