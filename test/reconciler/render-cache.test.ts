// Plain manifests parsed once per content: a commit re-parses only the files it changed, a file
// whose content changed is parsed again whatever oid its caller gives (local files carry their
// path as oid), what the stages do to an object never reaches the cache, and the cache holds
// only the last render's files.
import t from 'tap';
import { stringify } from 'yaml';
import { renderPlain, type ParseCache } from '../../reconciler/render/render.js';
import type { Rendered } from '../../reconciler/model/objects.js';

const cm = (name: string, v: string) =>
  Buffer.from(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } }));
// The oid is the path, as `driftgate diff` gives local files: never trusted as a content id.
const tree = (files: Record<string, Buffer>) =>
  new Map(Object.entries(files).map(([p, content]) => [p, { oid: p, content }]));
const values = (r: readonly Rendered[]) =>
  r.map(
    (x) => `${x.object.metadata.name}=${(x.object as unknown as { data: { v: string } }).data.v}`,
  );

t.test('only changed content is parsed again; outputs are copies', async (t) => {
  let cache: ParseCache = { prev: new Map(), next: new Map() };
  const first = renderPlain(
    tree({ 'a.yaml': cm('a', '1'), 'b.yaml': cm('b', '1') }),
    undefined,
    cache,
  );
  t.strictSame(values(first), ['a=1', 'b=1']);
  // A stage changing an object in place changes nothing cached.
  (first[0]?.object as unknown as { data: { v: string } }).data.v = 'mutated';
  cache = { prev: cache.next, next: new Map() };
  const second = renderPlain(
    tree({ 'a.yaml': cm('a', '1'), 'b.yaml': cm('b', '2') }),
    undefined,
    cache,
  );
  t.strictSame(values(second), ['a=1', 'b=2'], 'same oid, new content: parsed again');
  t.equal(cache.next.size, 2);
  cache = { prev: cache.next, next: new Map() };
  renderPlain(tree({ 'b.yaml': cm('b', '2') }), undefined, cache);
  t.equal(cache.next.size, 1, 'a file gone from the tree leaves the cache');
});
