/**
 * Stable error codes of the admission webhook. Each code equals its key (a test checks), so
 * logs, metrics and clients can match on it.
 */
export const WebhookError = {
  WEBHOOK_BODY_TOO_LARGE: 'WEBHOOK_BODY_TOO_LARGE',
  WEBHOOK_CONTENT_TYPE: 'WEBHOOK_CONTENT_TYPE',
  WEBHOOK_NOT_JSON: 'WEBHOOK_NOT_JSON',
  WEBHOOK_WRONG_KIND: 'WEBHOOK_WRONG_KIND',
  WEBHOOK_NO_REQUEST: 'WEBHOOK_NO_REQUEST',
  WEBHOOK_NO_UID: 'WEBHOOK_NO_UID',
  WEBHOOK_UNKNOWN_OPERATION: 'WEBHOOK_UNKNOWN_OPERATION',
  WEBHOOK_TOO_DEEP: 'WEBHOOK_TOO_DEEP',
  WEBHOOK_TOO_MANY_NODES: 'WEBHOOK_TOO_MANY_NODES',
  WEBHOOK_STRING_TOO_LONG: 'WEBHOOK_STRING_TOO_LONG',
  WEBHOOK_ARRAY_TOO_LONG: 'WEBHOOK_ARRAY_TOO_LONG',
  WEBHOOK_BAD_FIELD: 'WEBHOOK_BAD_FIELD',
  WEBHOOK_OVERLOADED: 'WEBHOOK_OVERLOADED',
} as const;
export type WebhookError = (typeof WebhookError)[keyof typeof WebhookError];

/** A request the webhook refuses with HTTP 400; `message` says what is wrong. */
export class BadReviewError extends Error {
  constructor(
    readonly code: WebhookError,
    message: string,
  ) {
    super(message);
    this.name = 'BadReviewError';
  }
}
