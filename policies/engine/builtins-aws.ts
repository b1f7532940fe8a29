// OPA's providers.aws.sign_req: an http.send request object signed with AWS Signature Version 4
// for the given time (so it is pure): the headers Authorization, host, x-amz-date, for s3 and
// glacier x-amz-content-sha256, and x-amz-security-token with a session token. Checked against
// `opa eval` (builtins-reference.test.ts). Errors throw `providers.aws.sign_req: <reason>`.
import { createHash, createHmac } from 'node:crypto';
import { escapePath, goUrlParse } from './builtins-uri.js';
import { RegoSet } from './rego-value.js';
import { regoCompare } from './sprintf.js';
import { takesRegoValues } from './wasm-policy.js';
import { isObject } from '../../core/object.js';

const NAME = 'providers.aws.sign_req';
const REQUIRED = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
/** Headers a proxy may change on the way: never signed (as the AWS SDK). */
const IGNORED = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const fail = (why: string): never => {
  throw new Error(`${NAME}: ${why}`);
};
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac('sha256', key).update(text).digest();
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The body bytes: raw_body as given, else body as Go's json.Marshal writes it, else none. */
function bodyOf(req: Record<string, unknown>): Buffer {
  if ('raw_body' in req) return Buffer.from(str(req.raw_body));
  if ('body' in req) return Buffer.from(goJson(req.body));
  return Buffer.alloc(0);
}

/** Go's json.Marshal of OPA's JSON for a value: keys sorted, a set as an array in OPA's order. */
function goJson(v: unknown): string {
  const text = JSON.stringify(v, (_k, x: unknown) =>
    x instanceof RegoSet
      ? [...x.members].sort(regoCompare)
      : isObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, x[k]]),
          )
        : x,
  );
  return (text ?? 'null').replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** ISO 8601 basic time and date of `ns`, in UTC. */
function stamps(ns: number): { time: string; date: string } {
  const iso = new Date(Math.floor(ns / 1e6)).toISOString();
  const time = `${iso.slice(0, 19).replace(/[-:]/g, '')}Z`;
  return { time, date: time.slice(0, 8) };
}

function sign(request: unknown, config: unknown, timeNs: unknown): Record<string, unknown> {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    isObject(v) && !(v instanceof RegoSet);
  if (!isMap(request)) return fail('operand 1 must be object');
  if (!isMap(config)) return fail('operand 1 must be object');
  const missing = REQUIRED.filter((k) => !(k in config));
  if (missing.length > 0)
    fail(
      `operand 2 missing required AWS config parameters(s): {${missing.map((k) => `"${k}"`).join(', ')}}`,
    );
  const invalid = REQUIRED.filter((k) => typeof config[k] !== 'string');
  if (invalid.length > 0)
    fail(
      `operand 2 invalid values for required AWS config parameters(s): {${invalid.map((k) => `"${k}"`).join(', ')}}`,
    );
  if (typeof timeNs !== 'number' || !Number.isInteger(timeNs))
    fail('operand 3 could not convert time_ns value into a unix timestamp');
  const headers = request.headers ?? {};
  if (!isMap(headers)) return fail('operand 1 headers must be object');
  const bad = ['method', 'url'].filter((k) => typeof request[k] !== 'string');
  if (bad.length > 0)
    fail(
      `operand 1 invalid values for required request parameters(s): {${bad.map((k) => `"${k}"`).join(', ')}}`,
    );
  let url: ReturnType<typeof goUrlParse>;
  try {
    url = goUrlParse(request.url as string);
  } catch (err) {
    return fail((err as Error).message);
  }
  const unsigned = config.disable_payload_signing;
  if (unsigned !== undefined && typeof unsigned !== 'boolean')
    fail("operand 2 invalid value for 'disable_payload_signing' in AWS config");
  const service = config.aws_service as string;
  const region = config.aws_region as string;
  const { time, date } = stamps(timeNs as number);
  const payloadHash = unsigned ? 'UNSIGNED-PAYLOAD' : sha256(bodyOf(request));
  const aws: Record<string, string> = { host: url.host, 'x-amz-date': time };
  if (service === 's3' || service === 'glacier') aws['x-amz-content-sha256'] = payloadHash;
  const token = str(config.aws_session_token);
  if (token) aws['x-amz-security-token'] = token;
  const toSign = new Map<string, string>(Object.entries(aws));
  for (const [k, v] of Object.entries(headers))
    if (!IGNORED.has(k.toLowerCase())) toSign.set(k.toLowerCase(), str(v));
  const names = [...toSign.keys()].sort();
  const canonical = [
    request.method as string,
    url.rawPath || escapePath(url.path),
    url.query,
    ...names.map((k) => `${k}:${toSign.get(k) ?? ''}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', time, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${config.aws_secret_access_key as string}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString('hex');
  const signed: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) signed[k] = str(v);
  signed.Authorization = `AWS4-HMAC-SHA256 Credential=${config.aws_access_key as string}/${scope},SignedHeaders=${names.join(';')},Signature=${signature}`;
  Object.assign(signed, aws);
  return { ...request, headers: signed };
}

/** The builtin: it reads Rego values, so a set in the body is still a set in what it answers. */
export const signReq = takesRegoValues(sign as (...args: never[]) => unknown);
