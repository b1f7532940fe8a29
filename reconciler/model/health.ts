import { isObject } from '../../core/object.js';

export const Health = {
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  Missing: 'Missing',
  Suspended: 'Suspended',
  Unknown: 'Unknown',
} as const;
export type Health = (typeof Health)[keyof typeof Health];

export interface HealthStatus {
  readonly status: Health;
  readonly message?: string;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((n, k) => (isObject(n) ? n[k] : undefined), o);
const conditions = (o: unknown): Obj[] =>
  Array.isArray(get(o, 'status', 'conditions')) ? (get(o, 'status', 'conditions') as Obj[]) : [];
const condition = (o: unknown, type: string): Obj | undefined =>
  conditions(o).find((c) => c.type === type);
const stale = (o: unknown): boolean =>
  num(get(o, 'metadata', 'generation')) > num(get(o, 'status', 'observedGeneration'));

function deployment(o: Obj): HealthStatus {
  if (get(o, 'spec', 'paused') === true)
    return { status: Health.Suspended, message: 'rollout paused' };
  const progressing = condition(o, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      status: Health.Degraded,
      message: String(progressing.message ?? 'progress deadline exceeded'),
    };
  if (stale(o))
    return {
      status: Health.Progressing,
      message: 'waiting for the controller to observe the new spec',
    };
  const want = typeof get(o, 'spec', 'replicas') === 'number' ? num(get(o, 'spec', 'replicas')) : 1;
  const updated = num(get(o, 'status', 'updatedReplicas'));
  const available = num(get(o, 'status', 'availableReplicas'));
  const total = num(get(o, 'status', 'replicas'));
  if (updated < want)
    return { status: Health.Progressing, message: `${updated} of ${want} replicas updated` };
  if (total > updated)
    return {
      status: Health.Progressing,
      message: `${total - updated} old replicas pending termination`,
    };
  if (available < want)
    return { status: Health.Progressing, message: `${available} of ${want} replicas available` };
  return { status: Health.Healthy };
}

function statefulSet(o: Obj): HealthStatus {
  if (stale(o))
    return {
      status: Health.Progressing,
      message: 'waiting for the controller to observe the new spec',
    };
  const want = typeof get(o, 'spec', 'replicas') === 'number' ? num(get(o, 'spec', 'replicas')) : 1;
  const ready = num(get(o, 'status', 'readyReplicas'));
  if (ready < want)
    return { status: Health.Progressing, message: `${ready} of ${want} replicas ready` };
  if (get(o, 'status', 'updateRevision') !== get(o, 'status', 'currentRevision'))
    return { status: Health.Progressing, message: 'rolling update in progress' };
  return { status: Health.Healthy };
}

function daemonSet(o: Obj): HealthStatus {
  if (stale(o))
    return {
      status: Health.Progressing,
      message: 'waiting for the controller to observe the new spec',
    };
  const want = num(get(o, 'status', 'desiredNumberScheduled'));
  const updated = num(get(o, 'status', 'updatedNumberScheduled'));
  const available = num(get(o, 'status', 'numberAvailable'));
  if (updated < want || available < want)
    return { status: Health.Progressing, message: `${available} of ${want} pods available` };
  return { status: Health.Healthy };
}

function job(o: Obj): HealthStatus {
  if (condition(o, 'Failed')?.status === 'True')
    return {
      status: Health.Degraded,
      message: String(condition(o, 'Failed')?.message ?? 'job failed'),
    };
  if (condition(o, 'Complete')?.status === 'True') return { status: Health.Healthy };
  if (get(o, 'spec', 'suspend') === true)
    return { status: Health.Suspended, message: 'job suspended' };
  return { status: Health.Progressing, message: 'job running' };
}

function pvc(o: Obj): HealthStatus {
  const phase = get(o, 'status', 'phase');
  if (phase === 'Bound') return { status: Health.Healthy };
  if (phase === 'Lost') return { status: Health.Degraded, message: 'volume lost' };
  return { status: Health.Progressing, message: `claim ${String(phase ?? 'pending')}` };
}

function byReadyCondition(o: Obj): HealthStatus {
  const ready = condition(o, 'Ready');
  if (!ready) return { status: Health.Healthy };
  if (ready.status === 'True') return { status: Health.Healthy };
  if (ready.status === 'False')
    return {
      status: Health.Degraded,
      message: String(ready.message ?? ready.reason ?? 'not ready'),
    };
  return { status: Health.Progressing, message: String(ready.message ?? 'readiness unknown') };
}

/** Groups served by Kubernetes itself: their objects without status semantics are Healthy. */
const builtIn = (apiVersion: unknown): boolean => {
  const group =
    typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return !group || !group.includes('.') || group.endsWith('.k8s.io');
};

/**
 * A custom resource, as kstatus reads one: Stalled and Reconciling conditions, then Ready, then
 * whether its controller observed the current generation. No status at all: Unknown (nothing
 * says its controller ever saw it).
 */
function customResource(o: Obj): HealthStatus {
  if (!isObject(o.status))
    return { status: Health.Unknown, message: 'no status: is its controller running?' };
  // kstatus reads the generation first: conditions written for an older spec say nothing yet.
  if (o.status.observedGeneration !== undefined && stale(o))
    return {
      status: Health.Progressing,
      message: 'waiting for the controller to observe the new spec',
    };
  const stalled = condition(o, 'Stalled');
  if (stalled?.status === 'True')
    return {
      status: Health.Degraded,
      message: String(stalled.message ?? stalled.reason ?? 'stalled'),
    };
  const reconciling = condition(o, 'Reconciling');
  if (reconciling?.status === 'True')
    return { status: Health.Progressing, message: String(reconciling.message ?? 'reconciling') };
  if (condition(o, 'Ready')) return byReadyCondition(o);
  if (isObject(o.metadata) && o.metadata.generation !== undefined && stale(o))
    return {
      status: Health.Progressing,
      message: 'waiting for the controller to observe the new spec',
    };
  return { status: Health.Healthy };
}

/** An aggregated API (Argo CD's check): Available, or still on its way with the reason. */
function apiService(o: Obj): HealthStatus {
  const available = condition(o, 'Available');
  if (available?.status === 'True') return { status: Health.Healthy };
  return {
    status: Health.Progressing,
    message: String(available?.message ?? available?.reason ?? 'waiting to be Available'),
  };
}

/** A LoadBalancer Service is Healthy once it has an address (Argo CD, kstatus). */
function service(o: Obj): HealthStatus {
  if (get(o, 'spec', 'type') !== 'LoadBalancer') return { status: Health.Healthy };
  const ingress = get(o, 'status', 'loadBalancer', 'ingress');
  return Array.isArray(ingress) && ingress.length > 0
    ? { status: Health.Healthy }
    : { status: Health.Progressing, message: 'waiting for a load balancer address' };
}

function crd(o: Obj): HealthStatus {
  const established = condition(o, 'Established');
  if (established?.status === 'True') return { status: Health.Healthy };
  return { status: Health.Progressing, message: 'waiting for the CRD to be established' };
}

/** Health of one live object (undefined: Missing). Pure. */
export function assessHealth(kind: string, live: Obj | undefined): HealthStatus {
  if (!live) return { status: Health.Missing };
  switch (kind) {
    case 'Deployment':
      return deployment(live);
    case 'StatefulSet':
      return statefulSet(live);
    case 'DaemonSet':
      return daemonSet(live);
    case 'Job':
      return job(live);
    case 'CronJob':
      return get(live, 'spec', 'suspend') === true
        ? { status: Health.Suspended, message: 'cron job suspended' }
        : { status: Health.Healthy };
    case 'PersistentVolumeClaim':
      return pvc(live);
    case 'CustomResourceDefinition':
      return crd(live);
    case 'APIService':
      return apiService(live);
    case 'Service':
      return service(live);
    default:
      return builtIn(live.apiVersion) ? byReadyCondition(live) : customResource(live);
  }
}

const WORST: readonly Health[] = [
  Health.Degraded,
  Health.Missing,
  Health.Unknown,
  Health.Progressing,
  Health.Suspended,
  Health.Healthy,
];

/** A source's health: the worst of its objects'; Missing when it has none (nothing applied). */
export function aggregateHealth(statuses: readonly Health[]): Health {
  if (statuses.length === 0) return Health.Missing;
  return WORST.find((h) => statuses.includes(h)) ?? Health.Healthy;
}
