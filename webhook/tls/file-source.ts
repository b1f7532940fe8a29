import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { validateMaterial, type CertificateSource, type ServingMaterial } from './material.js';

export interface FileSourceOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Optional CA bundle file (cert-manager's ca.crt). */
  readonly caFile?: string;
  /** Poll interval as a backstop for missed watch events. @default 10000 */
  readonly pollMs?: number;
  readonly onError?: (err: Error) => void;
}

function read(o: FileSourceOptions): ServingMaterial {
  const ca = o.caFile ? readFileSync(o.caFile, 'utf8') : '';
  return validateMaterial(readFileSync(o.certFile, 'utf8'), readFileSync(o.keyFile, 'utf8'), ca);
}

/**
 * Serving material from files (a mounted Secret or cert-manager). Watches the directory (Secret
 * volumes swap a symlink) and polls as a backstop; a half-written or mismatched pair is ignored
 * and the old one stays in force. Throws at construction if the files are unusable.
 */
export function fileCertificateSource(o: FileSourceOptions): CertificateSource {
  let current = read(o);
  const listeners: ((m: ServingMaterial) => void)[] = [];
  const check = (): void => {
    let next: ServingMaterial;
    try {
      next = read(o);
    } catch (err) {
      o.onError?.(err as Error);
      return;
    }
    if (
      next.certPem === current.certPem &&
      next.keyPem === current.keyPem &&
      next.caBundlePem === current.caBundlePem
    )
      return;
    current = next;
    for (const l of listeners) l(current);
  };
  const dirs = [...new Set([o.certFile, o.keyFile].map((f) => dirname(f)))];
  let timer: NodeJS.Timeout | undefined;
  const debounced = (): void => {
    clearTimeout(timer);
    timer = setTimeout(check, 100);
  };
  const watchers: FSWatcher[] = dirs.map((d) => watch(d, debounced));
  const poll = setInterval(check, o.pollMs ?? 10_000);
  poll.unref();
  return {
    current: () => current,
    onChange: (l) => void listeners.push(l),
    close() {
      clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
