// One external data client per loaded bundle (its providers, its cache), for callers on the
// main thread: the webhook's mutation and the reconciler's pre-apply gate.
import type { PolicyBundle } from './bundle.js';
import { ExternalDataClient } from './external-data.js';

const clients = new WeakMap<PolicyBundle, ExternalDataClient>();

export function externalDataClient(bundle: PolicyBundle): ExternalDataClient {
  let c = clients.get(bundle);
  if (!c) clients.set(bundle, (c = new ExternalDataClient(bundle.built.providers ?? [])));
  return c;
}
