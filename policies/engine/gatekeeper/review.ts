// The review a gator suite case stands for: an AdmissionReview's request, or a plain object's.
import { isObject } from '../../../core/object.js';
import { gvkOf } from './expansion.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { firstLine } from './objects.js';

/** The AdmissionRequest Gatekeeper reviews for a plain object (gator's conversion). */
function objectReview(obj: Record<string, unknown>): Record<string, unknown> {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  return {
    uid: '',
    kind: gvkOf(obj),
    resource: { group: '', version: '', resource: '' },
    ...(typeof meta.name === 'string' && meta.name ? { name: meta.name } : {}),
    ...(typeof meta.namespace === 'string' && meta.namespace ? { namespace: meta.namespace } : {}),
    operation: '',
    userInfo: {},
    object: obj,
  };
}

/** The review a case file stands for: an AdmissionReview's request, or a plain object's. */
export function caseReview(path: string): Record<string, unknown> {
  const docs = readDocs(path);
  const doc = docs[0];
  if (docs.length !== 1 || !doc)
    throw new Error(`${path} must hold exactly one object (found ${docs.length})`);
  if (doc.kind !== 'AdmissionReview') return objectReview(doc);
  const request = doc.request;
  if (!isObject(request) || (!isObject(request.object) && !isObject(request.oldObject)))
    throw new Error(`${path}: AdmissionReview has no request object or oldObject`);
  // Gatekeeper reviews a DELETE by its old object.
  return request.operation === 'DELETE' && !isObject(request.object)
    ? { ...request, object: request.oldObject }
    : request;
}

const MAX_FILE = 1024 * 1024;

export function readDocs(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  if (statSync(path).size > MAX_FILE) throw new Error(`${path} is larger than ${MAX_FILE} bytes`);
  const text = readFileSync(path, 'utf8');
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${path}: ${firstLine(d.errors[0]?.message)}`);
      return d.toJS({ maxAliasCount: 50 }) as unknown;
    })
    .filter(isObject);
}
