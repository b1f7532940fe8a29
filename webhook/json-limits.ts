import { BadReviewError, WebhookError } from './errors.js';

/** Structural bounds on a request body, checked before it is parsed. */
export interface JsonLimits {
  /** Nesting of objects and arrays. @default 128 (the apiserver itself stops at 10,000) */
  readonly maxDepth: number;
  /** Values, keys included. @default 100,000 (large CRDs have ~50,000; see parseWeight) */
  readonly maxNodes: number;
  /** Bytes in one string. @default 3 MiB (the apiserver's request limit) */
  readonly maxStringBytes: number;
  /** Elements in one array. @default 20,000 */
  readonly maxArrayLength: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxDepth: 128,
  maxNodes: 100_000,
  maxStringBytes: 3 * 1024 * 1024,
  maxArrayLength: 20_000,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const refuse = (code: WebhookError, message: string): never => {
  throw new BadReviewError(code, message);
};

/**
 * Walk the bytes of a JSON text once and refuse it (BadReviewError → HTTP 400) as soon as it is
 * deeper, larger or longer than `limits`, so JSON.parse only ever sees bounded input. Does not
 * validate the syntax (JSON.parse does, after this); never allocates per value. Returns the number
 * of values seen, the measure of how much heap parsing it will take.
 */
export function checkJsonShape(body: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): number {
  const arrayCounts = new Int32Array(limits.maxDepth + 2);
  const isArray = new Uint8Array(limits.maxDepth + 2);
  let depth = 0;
  let nodes = 0;
  let prev = 0; // the last byte that was not whitespace
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as number;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    const after = prev;
    prev = c;
    if (c === QUOTE) {
      i = stringEnd(body, i, limits.maxStringBytes);
      if (++nodes > limits.maxNodes) tooMany(limits);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth)
        refuse(WebhookError.WEBHOOK_TOO_DEEP, `JSON nests deeper than ${limits.maxDepth} levels`);
      isArray[depth] = c === 0x5b ? 1 : 0;
      arrayCounts[depth] = 1;
      if (++nodes > limits.maxNodes) tooMany(limits);
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
    } else if (c === 0x2c) {
      if (isArray[depth] === 1 && ++(arrayCounts[depth] as number) > limits.maxArrayLength)
        refuse(
          WebhookError.WEBHOOK_ARRAY_TOO_LONG,
          `a JSON array has more than ${limits.maxArrayLength} elements`,
        );
    } else if (after === 0x5b || after === 0x2c || after === 0x3a || after === 0) {
      // The first byte of a number, true, false or null.
      if (++nodes > limits.maxNodes) tooMany(limits);
    }
  }
  return nodes;
}

/** Rough heap bytes that parsing and evaluating a body of this size and value count takes. */
export const parseWeight = (bytes: number, nodes: number): number => 6 * bytes + 100 * nodes;

function tooMany(limits: JsonLimits): never {
  return refuse(
    WebhookError.WEBHOOK_TOO_MANY_NODES,
    `JSON has more than ${limits.maxNodes} values`,
  );
}

/** Index of the closing quote of the string opening at `start` (or the end of the body). */
function stringEnd(body: Uint8Array, start: number, maxBytes: number): number {
  let i = start;
  for (;;) {
    const q = body.indexOf(QUOTE, i + 1);
    if (q < 0) return body.length;
    let slashes = 0;
    while (body[q - 1 - slashes] === BACKSLASH) slashes++;
    i = q;
    if (slashes % 2 === 0) break;
  }
  if (i - start - 1 > maxBytes)
    refuse(WebhookError.WEBHOOK_STRING_TOO_LONG, `a JSON string is longer than ${maxBytes} bytes`);
  return i;
}
