// OPA's builtins that answer once per query: time.now_ns (one clock reading for the whole
// evaluation), uuid.rfc4122 and rand.intn (random, but one answer per argument), so a policy that
// asks twice sees one value. The memo is forgotten when the next evaluation starts
// (EVALUATION_START, wasm-policy.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { LimitError } from './limit-error.js';
import { EVALUATION_START, type Builtin } from './wasm-policy.js';

/** Answers kept at most within one evaluation (a policy looping over keys cannot grow it more). */
const MAX_MEMO = 10_000;

export function perEvaluationBuiltins(
  nowMs: () => number,
): Record<string, Builtin> & { [EVALUATION_START]: () => void } {
  const memo = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => {
    if (memo.has(key)) return memo.get(key) as T;
    if (memo.size >= MAX_MEMO)
      throw new LimitError('more than 10000 random values in one evaluation');
    const v = make();
    memo.set(key, v);
    return v;
  };
  const uuid = (k: unknown): string => {
    if (typeof k !== 'string') throw new Error('uuid.rfc4122: operand 1 must be string');
    return once(`uuid\u0000${k}`, () => randomUUID());
  };
  const intn = (s: unknown, n: unknown): number => {
    if (typeof s !== 'string') throw new Error('rand.intn: operand 1 must be string');
    if (typeof n !== 'number' || !Number.isSafeInteger(n))
      throw new Error('rand.intn: operand 2 must be an integer');
    if (n === 0) return 0;
    const bound = BigInt(Math.abs(n));
    return once(`intn\u0000${s}\u0000${n}`, () => Number(randomBytes(8).readBigUInt64BE() % bound));
  };
  // Nanoseconds since the epoch (the clock has milliseconds; a JSON number).
  const now = (): number => once('now', () => nowMs() * 1_000_000);
  return {
    'time.now_ns': now as Builtin,
    'uuid.rfc4122': uuid as Builtin,
    'rand.intn': intn as Builtin,
    [EVALUATION_START]: () => memo.clear(),
  };
}
