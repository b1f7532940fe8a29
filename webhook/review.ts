import type { Request, Response } from 'express';
import { BadReviewError, WebhookError } from './errors.js';
import { Operation, type AdmissionResponse, type AdmissionReview } from './types.js';

/** @default 3 MiB: the apiserver's own request cap is 3 MiB; AdmissionReviews carry two objects. */
export const DEFAULT_BODY_LIMIT = 7 * 1024 * 1024;

/** Read the raw body, refusing past `limit` bytes as soon as it is known. */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      req.resume();
      reject(
        new BadReviewError(
          WebhookError.WEBHOOK_BODY_TOO_LARGE,
          `body of ${declared} bytes is over the ${limit}-byte limit`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(
          new BadReviewError(
            WebhookError.WEBHOOK_BODY_TOO_LARGE,
            `body is over the ${limit}-byte limit`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decode and check an AdmissionReview v1 body. Throws BadReviewError (→ HTTP 400) saying exactly
 * what is wrong: content type, JSON, apiVersion/kind, request, uid, operation.
 */
export function decodeReview(contentType: string | undefined, body: Buffer): AdmissionReview {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BadReviewError(
      WebhookError.WEBHOOK_CONTENT_TYPE,
      `content type must be application/json (got "${type || 'none'}")`,
    );
  }
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
  if (!isObject(request.kind) || !isObject(request.userInfo ?? {})) {
    throw new BadReviewError(
      WebhookError.WEBHOOK_NO_REQUEST,
      'AdmissionReview request has no kind or userInfo',
    );
  }
  return parsed as unknown as AdmissionReview;
}

/** Wrap a response in an AdmissionReview v1 envelope. */
export function encodeReview(response: AdmissionResponse): object {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** Send a 400 with a JSON error body. */
export function sendBadRequest(res: Response, err: BadReviewError): void {
  res.status(400).json({ error: err.code, message: err.message });
}
