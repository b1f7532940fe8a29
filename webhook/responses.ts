import type { JsonPatchOp } from '../policies/engine/outcome.js';
import type { AdmissionResponse } from './types.js';

/** Kubernetes shows at most this much of a warning comfortably; longer ones are cut. */
export const WARNING_MAX = 120;
export const WARNINGS_MAX = 20;

const clip = (w: string): string =>
  w.length <= WARNING_MAX ? w : `${w.slice(0, WARNING_MAX - 1)}…`;

function withWarnings(r: AdmissionResponse, warnings: readonly string[]): AdmissionResponse {
  return warnings.length === 0 ? r : { ...r, warnings: warnings.slice(0, WARNINGS_MAX).map(clip) };
}

/** Allow; with a JSON patch (base64, patchType JSONPatch) only when there are operations. */
export function allowed(
  uid: string,
  warnings: readonly string[] = [],
  patch: readonly JsonPatchOp[] = [],
): AdmissionResponse {
  const base: AdmissionResponse = { uid, allowed: true };
  const patched: AdmissionResponse =
    patch.length === 0
      ? base
      : {
          ...base,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        };
  return withWarnings(patched, warnings);
}

/** Deny with 403 Forbidden and a message that stands on its own. */
export function denied(
  uid: string,
  message: string,
  warnings: readonly string[] = [],
): AdmissionResponse {
  return withWarnings(
    { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } },
    warnings,
  );
}

/** Internal failure: deny with 500 and a message that leaks nothing internal. */
export function errored(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 500, reason: 'InternalError', message } };
}
