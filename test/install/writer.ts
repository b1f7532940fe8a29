// A client writing continuously through the apiserver (each write admitted by the webhook):
// counts what was admitted and keeps every failure, for "zero failed admission requests".
import type { CoreV1Api } from '@kubernetes/client-node';

export interface WriterResult {
  readonly ok: number;
  readonly failures: readonly string[];
}

export function admissionWriter(api: CoreV1Api, namespace: string, prefix = 'load') {
  let ok = 0;
  let running = true;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await api.createNamespacedConfigMap({
          namespace,
          body: { metadata: { name: `${prefix}-${i}` }, data: { i: String(i) } },
        });
        ok++;
      } catch (err) {
        // The apiserver's own message (which webhook, what failed), not only the status line.
        const body = (err as { body?: unknown }).body;
        const said = typeof body === 'string' ? (/"message":"([^"]*)"/.exec(body)?.[1] ?? '') : '';
        failures.push(
          `${prefix}-${i}: ${(err as Error).message.split('\n')[0] ?? ''} ${said}`.trim(),
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    /** Resolves once `n` writes were admitted (the webhook answers before the test goes on). */
    async until(n: number): Promise<void> {
      while (ok < n && failures.length === 0) await new Promise((r) => setTimeout(r, 50));
    },
    async stop(): Promise<WriterResult> {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}
