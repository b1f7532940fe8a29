import { isObject } from '../../core/object.js';
import type { KubeHttp } from './http.js';

/**
 * Who these credentials are to the apiserver (a SelfSubjectReview), or undefined when it cannot
 * tell within `timeoutMs` (the cluster away, the API off). A remote source's writes are that
 * user's: the spoke's webhook knows them as the source's own.
 */
export async function selfSubject(http: KubeHttp, timeoutMs = 10_000): Promise<string | undefined> {
  try {
    const r = await http.json({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      timeoutMs,
      maxBytes: 64 * 1024,
    });
    const info = isObject(r.status) && isObject(r.status.userInfo) ? r.status.userInfo : {};
    return typeof info.username === 'string' ? info.username : undefined;
  } catch {
    return undefined;
  }
}
