import { ApiException } from '@kubernetes/client-node';

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
    super(serverMessage ? `HTTP ${code}: ${serverMessage}` : `HTTP ${code}`);
    this.name = 'KubeApiError';
  }
}

/** The HTTP status of an apiserver error (raw or from one of client-node's typed APIs), else 0. */
export function statusOf(err: unknown): number {
  if (err instanceof KubeApiError) return err.code;
  if (err instanceof ApiException) return err.code;
  return 0;
}

/** The apiserver's message of an error (raw or typed), or '' when it carries none. */
export function serverMessageOf(err: unknown): string {
  if (err instanceof KubeApiError) return err.serverMessage;
  if (err instanceof ApiException) {
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
