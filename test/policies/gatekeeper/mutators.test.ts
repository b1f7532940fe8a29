// Gatekeeper's mutators on the examples its documentation gives (website/docs/mutation.md).
import t from 'tap';
import { parseLocation } from '../../../policies/engine/gatekeeper/mutation-path.js';
import {
  mutate,
  readMutator,
  type GkMutator,
} from '../../../policies/engine/gatekeeper/mutators.js';

const mutator = (
  kind: string,
  spec: Record<string, unknown>,
  name = kind.toLowerCase(),
): GkMutator => {
  const problems: string[] = [];
  const m = readMutator(
    { apiVersion: 'mutations.gatekeeper.sh/v1', kind, metadata: { name }, spec },
    'm.yaml',
    problems,
  );
  if (!m) throw new Error(problems.join('; '));
  return m;
};
const pods = [{ groups: [''], kinds: ['Pod'], versions: ['v1'] }];
const pod = (containers: Record<string, unknown>[], labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop', ...(labels ? { labels } : {}) },
  spec: { containers },
});

t.test('locations: fields, keyed list elements, globs, quoted values', async (t) => {
  t.same(parseLocation('spec.containers[name: *].securityContext.privileged'), [
    { kind: 'field', name: 'spec' },
    { kind: 'list', name: 'containers', key: 'name' },
    { kind: 'field', name: 'securityContext' },
    { kind: 'field', name: 'privileged' },
  ]);
  t.same(parseLocation('spec.containers[name:"istio-proxy"].args'), [
    { kind: 'field', name: 'spec' },
    { kind: 'list', name: 'containers', key: 'name', value: 'istio-proxy' },
    { kind: 'field', name: 'args' },
  ]);
  t.throws(() => parseLocation('spec..x'), /expected a field name/);
  t.throws(() => parseLocation('spec.containers[name: ].image'), /a list key needs a value or \*/);
  t.throws(() => parseLocation(`spec.${'a.'.repeat(600)}b`), /longer than 1024 characters/);
  // Hostile spacing is refused, not backtracked over.
  t.throws(() => parseLocation(`spec.c[name:${' '.repeat(1000)}`), /unexpected/);
});

t.test('Assign: every container, only where the path test allows', async (t) => {
  const m = mutator('Assign', {
    applyTo: pods,
    location: 'spec.containers[name: *].securityContext.privileged',
    parameters: { assign: { value: false } },
  });
  const { object, changed } = mutate(
    pod([{ name: 'a' }, { name: 'b', securityContext: { privileged: true } }]),
    [m],
  );
  t.equal(changed, true);
  t.same((object.spec as { containers: unknown[] }).containers, [
    { name: 'a', securityContext: { privileged: false } },
    { name: 'b', securityContext: { privileged: false } },
  ]);
  const sidecar = mutator('Assign', {
    applyTo: pods,
    location: 'spec.containers[name: sidecar]',
    parameters: {
      assign: { value: { name: 'sidecar', image: 'proxy:1' } },
      pathTests: [{ subPath: 'spec.containers[name: sidecar]', condition: 'MustNotExist' }],
    },
  });
  const added = mutate(pod([{ name: 'a' }]), [sidecar]).object;
  t.same((added.spec as { containers: unknown[] }).containers, [
    { name: 'a' },
    { name: 'sidecar', image: 'proxy:1' },
  ]);
  const kept = mutate(pod([{ name: 'sidecar', image: 'proxy:0' }]), [sidecar]);
  t.equal(kept.changed, false, 'MustNotExist: an existing sidecar is left alone');
  t.same(
    mutate({ ...pod([]), kind: 'ConfigMap' }, [m]).changed,
    false,
    'applyTo other kinds: untouched',
  );
});

t.test(
  'AssignMetadata adds, never overwrites; ModifySet merges and prunes; AssignImage',
  async (t) => {
    const owner = mutator('AssignMetadata', {
      location: 'metadata.labels.owner',
      parameters: { assign: { value: 'platform' } },
    });
    t.same(mutate(pod([]), [owner]).object.metadata, {
      name: 'p',
      namespace: 'shop',
      labels: { owner: 'platform' },
    });
    t.equal(mutate(pod([], { owner: 'sam' }), [owner]).changed, false);
    const args = (operation: string) =>
      mutator('ModifySet', {
        applyTo: pods,
        location: 'spec.containers[name: *].args',
        parameters: { operation, values: { fromList: ['--verbose'] } },
      });
    const merged = mutate(pod([{ name: 'a', args: ['--x'] }]), [args('merge')]).object;
    t.same((merged.spec as { containers: { args: string[] }[] }).containers[0]?.args, [
      '--x',
      '--verbose',
    ]);
    const pruned = mutate(merged, [args('prune')]).object;
    t.same((pruned.spec as { containers: { args: string[] }[] }).containers[0]?.args, ['--x']);
    const image = mutator('AssignImage', {
      applyTo: pods,
      location: 'spec.containers[name: *].image',
      parameters: { assignDomain: 'mirror.example.com' },
    });
    const moved = mutate(
      pod([
        { name: 'a', image: 'docker.io/library/nginx:1.25' },
        { name: 'b', image: 'busybox' },
      ]),
      [image],
    ).object;
    t.same(
      (moved.spec as { containers: { image: string }[] }).containers.map((c) => c.image),
      ['mirror.example.com/library/nginx:1.25', 'mirror.example.com/busybox'],
    );
  },
);

t.test('a mutator is refused with what is wrong', async (t) => {
  const problems: string[] = [];
  readMutator(
    {
      kind: 'Assign',
      metadata: { name: 'x' },
      spec: { applyTo: pods, location: 'metadata.labels.a' },
    },
    'a.yaml',
    problems,
  );
  readMutator(
    { kind: 'AssignMetadata', metadata: { name: 'y' }, spec: { location: 'spec.x' } },
    'b.yaml',
    problems,
  );
  t.same(problems, [
    'a.yaml: Assign x: Assign cannot change metadata (use AssignMetadata)',
    'b.yaml: AssignMetadata y: location must be metadata.labels.<key> or metadata.annotations.<key>',
  ]);
});
