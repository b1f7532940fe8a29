import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isObject } from '../../core/object.js';
import type { ConfigInputs } from './config.js';

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The trust files a raw reconciler config names (SSH allowed signers, OpenPGP keys, CAs). Pure. */
export function configFiles(raw: unknown): string[] {
  if (!isObject(raw)) return [];
  const trusts = [
    ...(Array.isArray(raw.sources) ? raw.sources : []).map((s: unknown) =>
      isObject(s) ? s.verification : undefined,
    ),
  ];
  return trusts.flatMap((v) => (isObject(v) ? trustFiles(v) : []));
}

/** The files one trust block (`verification`, or a `--trust` file) names. Pure. */
export function trustFiles(v: Record<string, unknown>): string[] {
  const pgp = Array.isArray(v.openpgp) ? v.openpgp : [];
  return [
    ...strings([v.sshAllowedSignersFile]),
    ...strings(pgp.map((k: unknown) => (isObject(k) ? k.publicKeyFile : undefined))),
    ...(isObject(v.x509) ? strings(v.x509.caFiles) : []),
  ];
}

/** Read what a config needs from outside (composition roots only): its files and the pod's name. */
export function readConfigInputs(paths: readonly string[]): ConfigInputs {
  const files = new Map<string, string>();
  for (const p of paths) {
    try {
      files.set(p, readFileSync(p, 'utf8'));
    } catch {
      // Left out: the parser reports "cannot read" with where the path was named.
    }
  }
  const podIP = process.env.POD_IP;
  return { files, identity: process.env.POD_NAME ?? hostname(), ...(podIP ? { podIP } : {}) };
}
