// A source's inventory: the same set of refs is the same bytes whatever order they come in, and
// a write that would not change what the inventory holds sends nothing (a commit that changes
// objects but not which ones); a deleted or changed inventory is written again.
import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { Inventories } from '../../../reconciler/kube/inventory.js';
import type { KubeObjects } from '../../../reconciler/kube/objects.js';
import type { ObjectRef } from '../../../reconciler/model/objects.js';

/** One ConfigMap store, as KubeObjects' get and apply see it; applies are counted. */
function store() {
  const cms = new Map<string, Record<string, unknown>>();
  let applies = 0;
  const objects = {
    get: async (ref: ObjectRef) => cms.get(`${ref.namespace}/${ref.name}`),
    apply: async (obj: { metadata: { namespace: string; name: string } }) => {
      applies++;
      cms.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj as Record<string, unknown>);
      return obj;
    },
  } as unknown as KubeObjects;
  const held = (): unknown => {
    const cm = cms.get('dg/driftgate-inventory-web') as
      { binaryData: Record<string, string> } | undefined;
    const packed = cm?.binaryData['objects.json.gz'];
    return packed ? JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString()) : undefined;
  };
  return { objects, cms, held, applies: () => applies };
}

const cm = (name: string, apiVersion = 'v1'): ObjectRef => ({
  apiVersion,
  kind: 'ConfigMap',
  namespace: 'apps',
  name,
});

t.test(
  'unchanged refs are not written again; changed, deleted or re-versioned ones are',
  async (t) => {
    const s = store();
    const inv = new Inventories(s.objects);
    await inv.write('dg', 'web', [cm('b'), cm('a'), cm('c')]);
    t.equal(s.applies(), 1);
    t.strictSame(s.held(), [cm('a'), cm('b'), cm('c')], 'sorted by key');
    await inv.write('dg', 'web', [cm('c'), cm('b'), cm('a')]);
    t.equal(s.applies(), 1, 'the same set in another order: nothing sent');
    // A fresh process reads it first (every converge does), then writes the same: nothing sent.
    const again = new Inventories(s.objects);
    t.strictSame(await again.read('dg', 'web'), [cm('a'), cm('b'), cm('c')]);
    await again.write('dg', 'web', [cm('a'), cm('b'), cm('c')]);
    t.equal(s.applies(), 1, 'as read: nothing sent');
    await again.write('dg', 'web', [cm('a'), cm('b')]);
    t.equal(s.applies(), 2, 'one fewer: written');
    t.strictSame(s.held(), [cm('a'), cm('b')]);
    await again.write('dg', 'web', [cm('a', 'v2'), cm('b')]);
    t.equal(s.applies(), 3, 'another apiVersion of the same object: written');
    // Someone deletes the inventory: the next converge reads nothing and writes it back.
    s.cms.clear();
    t.strictSame(await again.read('dg', 'web'), []);
    await again.write('dg', 'web', [cm('a', 'v2'), cm('b')]);
    t.equal(s.applies(), 4, 'deleted: written again');
    t.strictSame(s.held(), [cm('a', 'v2'), cm('b')]);
  },
);
