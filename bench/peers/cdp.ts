// A V8 CPU profile of a window of a running process, over the inspector protocol (the process
// started with --inspect=127.0.0.1:<port>): bench:sync-peers' BENCH_PROFILE=commit profiles only
// a commit's way to the cluster, not the first sync that dominates a whole-run profile.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Send = (method: string, params?: object) => Promise<Record<string, unknown>>;

async function connect(port: number): Promise<{ send: Send; close(): void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = fail;
  });
  let id = 0;
  const waiting = new Map<number, (r: Record<string, unknown>) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, unknown> };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result ?? {});
  };
  return {
    send: (method, params = {}) =>
      new Promise((r) => {
        waiting.set(++id, r);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Start profiling now; the returned stop writes `<dir>/<name>.cpuprofile`. */
export async function profileWindow(
  port: number,
  dir: string,
  name: string,
): Promise<() => Promise<void>> {
  const c = await connect(port);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: 100 });
  await c.send('Profiler.start');
  return async () => {
    const { profile } = await c.send('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    c.close();
  };
}
