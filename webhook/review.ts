import { BodyRefused, BodyTooLarge, readLimitedBody } from '../core/body.js';
import type { Request, Response } from 'express';
import { isObject } from '../core/object.js';
import { checkRequestFields } from './contract.js';
import { BadReviewError, WebhookError } from './errors.js';
import {
  checkJsonShape,
  DEFAULT_JSON_LIMITS,
  parseWeight,
  type JsonLimits,
} from './json-limits.js';
import { Operation, type AdmissionResponse, type AdmissionReview } from './types.js';

/** @default 3 MiB: the apiserver's own request cap is 3 MiB; AdmissionReviews carry two objects. */
export const DEFAULT_BODY_LIMIT = 7 * 1024 * 1024;

/**
 * Bytes of request bodies held at once, across all requests: a body that would take the total
 * past `max` is refused with WEBHOOK_OVERLOADED (HTTP 503), so concurrent large bodies cannot
 * push the process past its memory limit. A request that finds the budget unused is always let
 * in, so the largest allowed body still gets through on its own. Each reader releases what it took.
 */
export class BodyBudget {
  #used = 0;
  constructor(readonly max: number) {}
  get used(): number {
    return this.#used;
  }
  take(n: number, mine = 0): boolean {
    // `mine`: what the caller already holds; alone in the budget, it may go past max.
    if (this.#used + n > this.max && this.#used > mine) return false;
    this.#used += n;
    return true;
  }
  release(n: number): void {
    this.#used -= n;
  }
}

/** The refusal of a request the body budget has no room for (HTTP 503). */
export const overloaded = (): BadReviewError =>
  new BadReviewError(
    WebhookError.WEBHOOK_OVERLOADED,
    'too many request bytes are being processed; retry',
  );

/**
 * Read the raw body, refusing past `limit` bytes as soon as it is known, or when the shared
 * budget is spent. `held` is called with the bytes to release once the response is sent.
 */
export async function readBody(
  req: Request,
  limit: number,
  budget?: BodyBudget,
  held?: (bytes: number) => void,
): Promise<Buffer> {
  try {
    return await readLimitedBody(req, limit, {
      ...(budget ? { admit: (bytes, before) => budget.take(bytes, before) } : {}),
      ...(held ? { onChunk: held } : {}),
    });
  } catch (err) {
    if (err instanceof BodyRefused) throw overloaded();
    if (err instanceof BodyTooLarge)
      throw new BadReviewError(WebhookError.WEBHOOK_BODY_TOO_LARGE, err.message);
    throw err;
  }
}

/**
 * Decode and check an AdmissionReview v1 body. Throws BadReviewError (→ HTTP 400) saying exactly
 * what is wrong: content type, JSON shape (limits), apiVersion/kind, request, uid, operation, and
 * the type of every other field driftgate reads.
 */
export function decodeReview(
  contentType: string | undefined,
  body: Buffer,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
  reserve?: (bytes: number) => void,
): AdmissionReview {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BadReviewError(
      WebhookError.WEBHOOK_CONTENT_TYPE,
      `content type must be application/json (got "${type || 'none'}")`,
    );
  }
  const nodes = checkJsonShape(body, limits);
  // What parsing will hold beyond the body itself; may refuse with WEBHOOK_OVERLOADED.
  reserve?.(parseWeight(body.length, nodes) - body.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadReviewError(
      WebhookError.WEBHOOK_NOT_JSON,
      `body is not JSON: ${(err as Error).message}`,
    );
  }
  if (
    !isObject(parsed) ||
    parsed.apiVersion !== 'admission.k8s.io/v1' ||
    parsed.kind !== 'AdmissionReview'
  ) {
    const got = isObject(parsed)
      ? `${String(parsed.apiVersion)}/${String(parsed.kind)}`
      : typeof parsed;
    throw new BadReviewError(
      WebhookError.WEBHOOK_WRONG_KIND,
      `expected admission.k8s.io/v1 AdmissionReview (got ${got})`,
    );
  }
  const request = parsed.request;
  if (!isObject(request))
    throw new BadReviewError(WebhookError.WEBHOOK_NO_REQUEST, 'AdmissionReview has no request');
  if (typeof request.uid !== 'string' || request.uid === '') {
    throw new BadReviewError(WebhookError.WEBHOOK_NO_UID, 'AdmissionReview request has no uid');
  }
  if (!Object.values(Operation).includes(request.operation as Operation)) {
    throw new BadReviewError(
      WebhookError.WEBHOOK_UNKNOWN_OPERATION,
      `unknown operation "${String(request.operation)}"`,
    );
  }
  checkRequestFields(request);
  return parsed as unknown as AdmissionReview;
}

/** Wrap a response in an AdmissionReview v1 envelope. */
export function encodeReview(response: AdmissionResponse): object {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** Send a 400 (503 when overloaded) with a JSON error body. */
export function sendBadRequest(res: Response, err: BadReviewError): void {
  const overloaded = err.code === WebhookError.WEBHOOK_OVERLOADED;
  if (overloaded) res.setHeader('retry-after', '1');
  res.status(overloaded ? 503 : 400).json({ error: err.code, message: err.message });
}
