// The reconciler's status routes (the status page among them) in this process over plain HTTP,
// on sources made by the caller: for tests and benchmarks of the page without a reconciler.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { statusApp, type StatusServerOptions } from '../../reconciler/server/server.js';

export interface StatusServer {
  /** http://127.0.0.1:<port> */
  readonly base: string;
  close(): void;
}

/** Serve `statusApp` on `runtime` (sources, lastAudit …) with the access checks in `o`. */
export async function startStatusServer(
  runtime: object,
  o: Partial<Pick<StatusServerOptions, 'controlAuth' | 'userAuth' | 'proxyAuth'>> = {},
): Promise<StatusServer> {
  const server = createServer(
    statusApp({
      host: '127.0.0.1',
      port: 0,
      metricsPort: 0,
      runtime: runtime as never,
      registry: undefined as never,
      logger: pino({ level: 'silent' }),
      ...o,
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => void server.close(),
  };
}
