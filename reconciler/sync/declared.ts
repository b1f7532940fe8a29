import { SOURCE_LABEL } from '../../core/labels.js';
import { withoutPaths } from '../../core/diff.js';
import type { SourceConfig } from '../config.js';
import { groupOf, type K8sObject } from '../objects.js';

/** The JSON pointers a source ignores on an object (its ignoreDifferences for that kind). Pure. */
export function ignoredPaths(cfg: SourceConfig, o: K8sObject): string[] {
  const g = groupOf(o.apiVersion);
  return cfg.ignoreDifferences
    .filter((d) => d.kind === o.kind && d.group === g)
    .flatMap((d) => [...d.jsonPointers]);
}

/** What driftgate applies for a declared object: its fields minus ignored ones, plus the source label. Pure. */
export function prepared(cfg: SourceConfig, o: K8sObject): K8sObject {
  const base = withoutPaths(o, ignoredPaths(cfg, o));
  return {
    ...base,
    metadata: {
      ...base.metadata,
      labels: { ...(base.metadata.labels ?? {}), [SOURCE_LABEL]: cfg.name },
    },
  };
}
