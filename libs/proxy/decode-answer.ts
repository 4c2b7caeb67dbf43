import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { BufferedAnswer } from './buffered-call.js';

/** what a call's decoded answer may hold at most by default (the AS's bound: an introspection answer is a few hundred bytes) */
export const MAX_DECODED_BYTES = 1024 * 1024;

/** the error undici gives for an answer over its `maxResponseSize`, so a caller tells both apart from other failures alike */
export const answerTooLarge = (bytes: number): Error => Object.assign(new Error(`the answer is larger than ${bytes} bytes`), { code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' });

const DECODERS: Readonly<Record<string, typeof gunzipSync>> = { gzip: gunzipSync, 'x-gzip': gunzipSync, deflate: inflateSync, br: brotliDecompressSync };

/** the IANA-registered codings (and their x- aliases): only these are named in an error; any other header value may be anything the AS echoes (the client's token) */
const REGISTERED = new Set(['aes128gcm', 'br', 'compress', 'dcb', 'dcz', 'deflate', 'exi', 'gzip', 'identity', 'pack200-gzip', 'x-compress', 'x-gzip', 'zstd']);
const named = (coding: string): string => (coding.split(',').every((c) => REGISTERED.has(c.trim())) ? `"${coding.slice(0, 40)}"` : '(not a registered coding)');

/**
 * A buffered answer with its content coding undone, its Content-Encoding and
 * Content-Length gone: the gateway asks for no compression, but RFC 9110
 * lets a server use any coding when the request names none, and `fetch` (what
 * oauth4webapi expects) decodes gzip, deflate and br. Decoded to at most
 * `maxBytes` (a small compressed answer can inflate a thousandfold), more
 * fails as an answer over the pool's size bound; a coding it cannot undo, or
 * several stacked, fails the call.
 */
export function decodedAnswer(answer: BufferedAnswer, maxBytes = MAX_DECODED_BYTES): BufferedAnswer {
  const raw = answer.rawHeaders;
  let coding: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 16 && raw[i]!.toString('latin1').toLowerCase() === 'content-encoding') {
      const value = raw[i + 1]!.toString('latin1').trim().toLowerCase();
      coding = coding === undefined ? value : `${coding}, ${value}`;
    }
  }
  if (coding === undefined || coding === 'identity' || coding === '') return answer;
  const decode = DECODERS[coding];
  if (!decode) throw Object.assign(new Error(`the answer's content coding ${named(coding)} is not supported`), { code: 'UNSUPPORTED_CONTENT_ENCODING' });
  let body: Buffer;
  try {
    body = answer.body.length === 0 ? answer.body : decode(answer.body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw answerTooLarge(maxBytes);
    throw Object.assign(new Error(`the answer's ${coding} body could not be decoded`), { code: 'BAD_CONTENT_ENCODING' });
  }
  const rawHeaders: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    if (name !== 'content-encoding' && name !== 'content-length') rawHeaders.push(raw[i]!, raw[i + 1]!);
  }
  return { status: answer.status, rawHeaders, body };
}
