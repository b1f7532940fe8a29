/** A Kubernetes object as declared (plain JSON). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** Identity of an object: group/kind/namespace/name (version-independent). */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export const groupOf = (apiVersion: string): string => {
  // No split: this runs for every object, several times a sync.
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
};

/** Stable key for maps and the desired-state index: `group/Kind/namespace/name`. */
export const refKey = (r: ObjectRef): string =>
  `${groupOf(r.apiVersion)}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

export const refOf = (o: K8sObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name,
});

/** Human form for logs and messages: `apps/Deployment shop/web`. */
export const refText = (r: ObjectRef): string => {
  const g = groupOf(r.apiVersion);
  return `${g ? `${g}/` : ''}${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
};

/** A declared object and the file it came from. */
export interface Rendered {
  readonly object: K8sObject;
  readonly path: string;
  /** The resource (plural) name, from discovery once placed in the cluster. */
  readonly resource?: string;
}
