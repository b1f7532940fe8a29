import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificate, type CertifiedKey } from './pki.js';
import { validateMaterial, type CertificateSource, type ServingMaterial } from './material.js';

export interface GeneratedSourceOptions {
  /** Where ca.crt, ca.key and ca-bundle.crt live (survives restarts; the chart mounts it). */
  readonly dir: string;
  readonly dnsNames: readonly string[];
  /** @default ['127.0.0.1'] */
  readonly ipAddresses?: readonly string[];
  /** @default 3650 */
  readonly caValidityDays?: number;
  /** @default 365 */
  readonly servingValidityDays?: number;
  /** Renew a certificate once less than this fraction of its life is left. @default 1/3 */
  readonly renewFraction?: number;
  /** How often to check. @default 1 hour */
  readonly checkMs?: number;
  readonly nowMs?: () => number;
}

interface State {
  ca: CertifiedKey;
  /** The CA being retired: still in the bundle until the serving cert no longer needs it. */
  previousCa?: CertifiedKey;
  serving: CertifiedKey;
}

const lifeLeft = (pem: string, now: number): number => {
  const x = new X509Certificate(pem);
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  return (to - now) / (to - from);
};

/**
 * A pure step of the rotation plan: what to renew at `now`. The CA is renewed first and the
 * bundle then holds old and new; the serving certificate moves to the new CA on the next step,
 * after the bundle had time to reach the webhook configuration; the old CA leaves the bundle
 * one step after that.
 */
export function rotationStep(
  s: State,
  now: number,
  renewFraction: number,
  make: { ca(): CertifiedKey; serving(ca: CertifiedKey): CertifiedKey },
): State {
  if (s.previousCa) {
    const servedByNew = new X509Certificate(s.serving.certPem).checkIssued(
      new X509Certificate(s.ca.certPem),
    );
    if (!servedByNew) return { ...s, serving: make.serving(s.ca) };
    return { ca: s.ca, serving: s.serving };
  }
  if (lifeLeft(s.ca.certPem, now) < renewFraction)
    return { ca: make.ca(), previousCa: s.ca, serving: s.serving };
  if (lifeLeft(s.serving.certPem, now) < renewFraction)
    return { ...s, serving: make.serving(s.ca) };
  return s;
}

/**
 * Self-generated CA and serving certificate (pkijs), kept in `dir`, rotated well before
 * expiry. ca-bundle.crt in `dir` is what the chart or test harness puts in caBundle.
 */
export function generatedCertificateSource(
  o: GeneratedSourceOptions,
): CertificateSource & { readonly caBundleFile: string; check(): void } {
  const now = o.nowMs ?? Date.now;
  const make = {
    ca: (): CertifiedKey =>
      createCertificate({
        commonName: 'driftgate-webhook-ca',
        usage: 'ca',
        validityDays: o.caValidityDays ?? 3650,
        notBefore: new Date(now() - 3_600_000),
      }),
    serving: (ca: CertifiedKey): CertifiedKey =>
      createCertificate({
        commonName: o.dnsNames[0] ?? 'driftgate-webhook',
        usage: 'server',
        issuer: ca,
        dnsNames: o.dnsNames,
        ipAddresses: o.ipAddresses ?? ['127.0.0.1'],
        validityDays: o.servingValidityDays ?? 365,
        notBefore: new Date(now() - 3_600_000),
      }),
  };
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const caFile = join(o.dir, 'ca.crt');
  const caKeyFile = join(o.dir, 'ca.key');
  const bundleFile = join(o.dir, 'ca-bundle.crt');
  const ca =
    existsSync(caFile) && existsSync(caKeyFile)
      ? { certPem: readFileSync(caFile, 'utf8'), keyPem: readFileSync(caKeyFile, 'utf8') }
      : make.ca();
  let state: State = { ca, serving: make.serving(ca) };
  const persist = (): ServingMaterial => {
    writeFileSync(caFile, state.ca.certPem);
    writeFileSync(caKeyFile, state.ca.keyPem, { mode: 0o600 });
    const bundle = state.ca.certPem + (state.previousCa?.certPem ?? '');
    writeFileSync(bundleFile, bundle);
    return validateMaterial(state.serving.certPem, state.serving.keyPem, bundle);
  };
  let current = persist();
  const listeners: ((m: ServingMaterial) => void)[] = [];
  const check = (): void => {
    const next = rotationStep(state, now(), o.renewFraction ?? 1 / 3, make);
    if (next === state) return;
    state = next;
    current = persist();
    for (const l of listeners) l(current);
  };
  const timer = setInterval(check, o.checkMs ?? 3_600_000);
  timer.unref();
  return {
    caBundleFile: bundleFile,
    check,
    current: () => current,
    onChange: (l) => void listeners.push(l),
    close: () => clearInterval(timer),
  };
}
