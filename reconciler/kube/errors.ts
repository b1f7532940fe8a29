/** `HTTP 409: <the apiserver's message>`: the one way an apiserver error is written. */
const statusText = (code: number, message: string): string =>
  `HTTP ${code}${message ? `: ${message}` : ''}`;

/**
 * An HTTP error status from the apiserver: `code` is the status, `message` the apiserver's own
 * (from its Status object), `reason` its machine reason (NotFound, Invalid, Conflict …). The
 * request body is never part of it (it may hold secrets).
 */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly serverMessage: string,
    readonly reason?: string,
    readonly details?: unknown,
  ) {
    super(statusText(code, serverMessage));
    this.name = 'KubeApiError';
  }
}

/**
 * client-node's ApiException (its typed APIs throw it), known by shape so that a process that
 * never loads client-node (the webhook, the CLI's offline commands) can still read one.
 */
const isApiException = (err: unknown): err is { code: number; body: unknown } =>
  err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err;

/** The HTTP status of an apiserver error (raw or from one of client-node's typed APIs), else 0. */
export function statusOf(err: unknown): number {
  if (err instanceof KubeApiError) return err.code;
  if (isApiException(err)) return err.code;
  return 0;
}

/** The apiserver's message of an error (raw or typed), or '' when it carries none. */
export function serverMessageOf(err: unknown): string {
  if (err instanceof KubeApiError) return err.serverMessage;
  if (isApiException(err)) {
    try {
      const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      const m = (body as { message?: unknown } | undefined)?.message;
      return typeof m === 'string' ? m : '';
    } catch {
      return '';
    }
  }
  return '';
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

/** Errors from the API server with the status message, never the request body (no secrets). */
export function apiErrorMessage(err: unknown): string {
  const code = statusOf(err);
  if (code) {
    const message = serverMessageOf(err);
    return bounded(statusText(code, message).replace(/\s*\n\s*/g, ' '));
  }
  // Client errors may carry the whole response (headers included): keep the first line.
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*Headers:.*$/s, '');
  // fetch says only "fetch failed": what failed (refused, unresolvable, TLS) is its cause.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
  const first = text.split('\n')[0] ?? '';
  return bounded(cause && !first.includes(cause) ? `${first}: ${cause.split('\n')[0]}` : first);
}

/**
 * At most 500 characters, keeping the head and the tail: the apiserver puts the verdict last
 * ("… field is immutable"), after a dump of the object. Status, events and logs stay small.
 */
const bounded = (text: string): string =>
  text.length <= 500 ? text : `${text.slice(0, 300)} … ${text.slice(-197)}`;
