/**
 * One policy-evaluation worker thread: holds its own wasm instance of the live bundle and answers
 * evaluations posted by the pool (pool.ts). Runs nothing else, so a runaway
 * evaluation stalls only this thread, which the pool terminates at the request's deadline.
 */
import { parentPort } from 'node:worker_threads';
import { loadBundle, type PolicyBundle } from '../bundle.js';
import { ExternalDataClient } from '../external-data.js';
import { withExternalData } from '../external-data-session.js';
import type { ToPool, ToWorker } from './protocol.js';
import { provideGoModule } from '../go-builtins.js';

const port = parentPort;
if (!port) throw new Error('eval worker must run as a worker thread');
let bundle: PolicyBundle | undefined;
/** Asks the bundle's external data providers; its cache lasts as long as the bundle. */
let client: ExternalDataClient | undefined;
let inventory: unknown;
const send = (m: ToPool): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'inventory') {
    const next: unknown = JSON.parse(new TextDecoder().decode(m.json));
    try {
      bundle?.setInventory(next);
      inventory = next;
    } catch {
      // Refused (too large): this worker keeps the last inventory; the feed bounds what it sends.
    }
    return;
  }
  if (m.type === 'load') {
    if (m.goModule && m.built.goBuiltins) provideGoModule(m.built.goBuiltins.path, m.goModule);
    loadBundle(m.built).then(
      (b) => {
        if (inventory !== undefined)
          try {
            b.setInventory(inventory);
          } catch {
            // kept empty: the same inventory was accepted before, by a bundle with less data
          }
        bundle = b;
        client = new ExternalDataClient(b.built.providers ?? []);
        send({ type: 'loaded', revision: b.revision });
      },
      (err: Error) => send({ type: 'load-error', message: err.message }),
    );
    return;
  }
  if (!bundle) {
    send({ type: 'result', id: m.id, outcomes: [], error: 'no bundle loaded in this worker' });
    return;
  }
  const b = bundle;
  const evaluate = () => b.evaluateJson(m.json);
  void withExternalData(b.externalData, client, evaluate, m.budgetMs).then((outcomes) =>
    send({
      type: 'result',
      id: m.id,
      revision: b.revision,
      outcomes: outcomes.map((o) =>
        o.ok ? { ok: true as const, result: o.result } : { ok: false as const, error: o.error },
      ),
    }),
  );
});
