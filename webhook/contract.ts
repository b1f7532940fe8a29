import { isObject } from '../core/object.js';
import { BadReviewError, WebhookError } from './errors.js';

type Obj = Record<string, unknown>;

const bad = (field: string, want: string): never => {
  throw new BadReviewError(WebhookError.WEBHOOK_BAD_FIELD, `request.${field} must be ${want}`);
};

const optString = (o: Obj, key: string, at: string): void => {
  if (o[key] !== undefined && typeof o[key] !== 'string') bad(`${at}${key}`, 'a string');
};

const stringMap = (v: unknown, at: string): void => {
  if (v === undefined || v === null) return;
  if (!isObject(v)) bad(at, 'a map of strings');
  for (const x of Object.values(v as Obj)) if (typeof x !== 'string') bad(at, 'a map of strings');
};

/** An object or oldObject: absent, null, or an object whose metadata driftgate can read. */
function checkObject(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) bad(field, 'an object or null');
  const meta = (v as Obj).metadata;
  if (meta === undefined) return;
  if (!isObject(meta)) bad(`${field}.metadata`, 'an object');
  const m = meta as Obj;
  for (const k of ['name', 'namespace', 'generateName']) optString(m, k, `${field}.metadata.`);
  stringMap(m.labels, `${field}.metadata.labels`);
  stringMap(m.annotations, `${field}.metadata.annotations`);
  if (m.ownerReferences !== undefined && !Array.isArray(m.ownerReferences))
    bad(`${field}.metadata.ownerReferences`, 'a list');
}

/**
 * Check the type of every AdmissionRequest field driftgate reads beyond uid and operation, so a
 * malformed review is refused with HTTP 400 (WEBHOOK_BAD_FIELD) instead of failing later.
 */
export function checkRequestFields(r: Obj): void {
  const kind = r.kind;
  if (!isObject(kind)) bad('kind', 'an object {group, version, kind}');
  for (const k of ['group', 'version', 'kind']) {
    if (typeof (kind as Obj)[k] !== 'string') bad(`kind.${k}`, 'a string');
  }
  if (r.resource !== undefined) {
    if (!isObject(r.resource)) bad('resource', 'an object');
    for (const k of ['group', 'version', 'resource']) optString(r.resource as Obj, k, 'resource.');
  }
  for (const k of ['name', 'namespace', 'subResource']) optString(r, k, '');
  const user = r.userInfo;
  if (!isObject(user)) bad('userInfo', 'an object');
  const u = user as Obj;
  optString(u, 'username', 'userInfo.');
  optString(u, 'uid', 'userInfo.');
  if (
    u.groups !== undefined &&
    (!Array.isArray(u.groups) || !u.groups.every((g) => typeof g === 'string'))
  )
    bad('userInfo.groups', 'a list of strings');
  checkObject(r.object, 'object');
  checkObject(r.oldObject, 'oldObject');
  if (r.dryRun !== undefined && typeof r.dryRun !== 'boolean') bad('dryRun', 'a boolean');
  if (r.options !== undefined && r.options !== null && !isObject(r.options))
    bad('options', 'an object or null');
}

/** @default 200: containers + initContainers + ephemeralContainers in one pod spec. */
export const DEFAULT_MAX_CONTAINERS = 200;

/** The pod specs of a workload object: a Pod, a template (Deployment…), a CronJob's job template. */
function podSpecs(o: unknown): unknown[] {
  if (!isObject(o) || !isObject(o.spec)) return [];
  const spec = o.spec;
  const template = isObject(spec.template) ? spec.template.spec : undefined;
  const job = isObject(spec.jobTemplate) ? spec.jobTemplate.spec : undefined;
  const jobTemplate = isObject(job) && isObject(job.template) ? job.template.spec : undefined;
  return [spec, template, jobTemplate];
}

/** The most containers any one pod spec in the object declares. */
export function widestPod(object: unknown): number {
  let most = 0;
  for (const spec of podSpecs(object)) {
    if (!isObject(spec)) continue;
    let n = 0;
    for (const k of ['containers', 'initContainers', 'ephemeralContainers']) {
      const list = spec[k];
      if (Array.isArray(list)) n += list.length;
    }
    most = Math.max(most, n);
  }
  return most;
}
