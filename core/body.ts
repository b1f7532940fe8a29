import type { IncomingMessage } from 'node:http';

/** A body over its byte limit (`declared`: the Content-Length that said so up front). */
export class BodyTooLarge extends Error {
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(
      declared === undefined
        ? `body is over the ${limit}-byte limit`
        : `body of ${declared} bytes is over the ${limit}-byte limit`,
    );
    this.name = 'BodyTooLarge';
  }
}

/** A chunk the caller's admission check refused (a shared memory budget spent). */
export class BodyRefused extends Error {
  constructor() {
    super('body refused: too many request bytes are being processed');
    this.name = 'BodyRefused';
  }
}

export interface BodyOptions {
  /** Asked before each chunk is kept (`before`: bytes already read); false refuses the body. */
  readonly admit?: (bytes: number, before: number) => boolean;
  /** Told of every chunk admitted, e.g. to release its bytes after the response. */
  readonly onChunk?: (bytes: number) => void;
}

/**
 * Read a request body of at most `limit` bytes, refusing as soon as it is known to be larger
 * (Content-Length, then the bytes seen). Rejects with BodyTooLarge or BodyRefused; the rest of
 * the body is drained so the connection can answer.
 */
export function readLimitedBody(
  req: IncomingMessage,
  limit: number,
  o: BodyOptions = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLarge(limit, declared));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err: Error): void => {
      req.removeAllListeners('data');
      req.resume();
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (o.admit && !o.admit(chunk.length, size - chunk.length)) return stop(new BodyRefused());
      o.onChunk?.(chunk.length);
      if (size > limit) return stop(new BodyTooLarge(limit));
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
