/**
 * A builtin refusing input past one of driftgate's own bounds (a /8 to expand, 100,000 paths, a
 * glob of 10,000 characters). Unlike OPA's errors, which read as undefined, it fails the whole
 * evaluation: a deny rule must not pass because its input was too large to judge.
 */
export class LimitError extends Error {
  override readonly name = 'LimitError';
}
