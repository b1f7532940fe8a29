import { parse } from 'yaml';
import { isObject } from '../../core/object.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { Cluster } from '../kube/port.js';
import type { GitSourceObject } from './spec.js';

/** A spec.helm.valuesFrom entry. */
export interface ValuesRef {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  readonly valuesKey: string;
}

/** The valuesFrom references of a GitSource's spec (malformed entries are problems). Pure. */
export function valuesRefs(spec: Record<string, unknown>, problems: string[]): ValuesRef[] {
  const helm = isObject(spec.helm) ? spec.helm : {};
  const list = Array.isArray(helm.valuesFrom) ? helm.valuesFrom : [];
  return list.flatMap((r, i) => {
    const ok =
      isObject(r) &&
      (r.kind === 'ConfigMap' || r.kind === 'Secret') &&
      typeof r.name === 'string' &&
      (r.valuesKey === undefined || typeof r.valuesKey === 'string');
    if (!ok) {
      problems.push(`spec.helm.valuesFrom[${i}] needs kind (ConfigMap or Secret) and name`);
      return [];
    }
    return [
      {
        kind: r.kind as ValuesRef['kind'],
        name: r.name as string,
        valuesKey: (r.valuesKey as string | undefined) ?? 'values.yaml',
      },
    ];
  });
}

/**
 * Read the values a GitSource's chart takes from ConfigMaps and Secrets of its namespace, in
 * order. Each must hold a YAML mapping at its key. A problem names the object and key, never a
 * Secret's content (a YAML error quotes its input, so a Secret's is not passed on).
 */
export async function readValuesFrom(
  cluster: Cluster,
  obj: GitSourceObject,
  refs: readonly ValuesRef[],
): Promise<{ values: Record<string, unknown>[]; problems: string[] }> {
  const values: Record<string, unknown>[] = [];
  const problems: string[] = [];
  const ns = obj.metadata.namespace;
  for (const r of refs) {
    const at = `spec.helm.valuesFrom: ${r.kind} ${ns}/${r.name} key ${r.valuesKey}`;
    let found: Record<string, unknown> | undefined;
    try {
      found = await cluster.get({ apiVersion: 'v1', kind: r.kind, namespace: ns, name: r.name });
    } catch (err) {
      problems.push(`${at}: ${apiErrorMessage(err)}`);
      continue;
    }
    const data = found && isObject(found.data) ? found.data : undefined;
    const raw = data?.[r.valuesKey];
    if (typeof raw !== 'string') {
      problems.push(`${at}: not found`);
      continue;
    }
    const text = r.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 0 });
    } catch (err) {
      problems.push(
        `${at}: not valid YAML${r.kind === 'ConfigMap' ? ` (${(err as Error).message.split('\n')[0]})` : ''}`,
      );
      continue;
    }
    if (!isObject(doc)) problems.push(`${at}: must be a YAML mapping`);
    else values.push(doc);
  }
  return { values, problems };
}
