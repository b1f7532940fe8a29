import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { customBuiltins, SDK_JS_BUILTINS } from './builtins.js';
import { readTarGzEntry } from './tar.js';
import { loadWasmPolicy } from './wasm-policy.js';
import { GO_BUILTINS, goBuiltinsBeside } from './go-builtins.js';

interface Builtin {
  name: string;
  infix?: string;
  deprecated?: boolean;
  decl?: { type?: string; args?: unknown[]; result?: unknown; variadic?: unknown };
}

interface Capabilities {
  builtins: Builtin[];
  [key: string]: unknown;
}

/**
 * Gatekeeper's `external_data` (external-data-session.ts), declared as Gatekeeper declares it:
 * an object in (provider, keys), an object out (responses, errors, status_code, system_error).
 */
const EXTERNAL_DATA: Builtin = {
  name: 'external_data',
  decl: {
    type: 'function',
    args: [{ type: 'object', dynamic: { key: { type: 'string' }, value: { type: 'any' } } }],
    result: { type: 'object', dynamic: { key: { type: 'any' }, value: { type: 'any' } } },
  },
};

/** Builtins that reach outside the evaluation (network, environment): never allowed. */
const SIDE_CHANNELS = new Set(['http.send', 'net.lookup_ip_addr', 'opa.runtime']);

/**
 * One rule per builtin the wasm target might compile in, its arguments from input: the current
 * ones in Rego v1, the deprecated ones (which Rego v0 templates still call) in v0. Pure.
 */
export function probeModule(caps: Capabilities, deprecated: boolean): string {
  const rules = caps.builtins
    .filter((b) => !b.infix && !!b.deprecated === deprecated && !b.name.startsWith('internal.'))
    .filter((b) => b.decl?.result !== undefined && !b.decl.variadic)
    .map((b, i) => {
      const args = (b.decl?.args ?? []).map((_, j) => `input.a${j}`).join(', ');
      return deprecated ? `r${i} = x { x := ${b.name}(${args}) }` : `r${i} := ${b.name}(${args})`;
    });
  const head = deprecated ? ['package probe0'] : ['package probe', 'p if print(input.a0)'];
  return [...head, ...rules, ''].join('\n');
}

/**
 * The builtins this opa's wasm target compiles into the module itself (no JavaScript needed):
 * every builtin is called once in a probe module, and the ones the built module still asks the
 * host for are left out. Cached per opa version in `dir`. Throws when opa cannot build.
 */
async function nativeBuiltins(
  opaPath: string,
  version: string,
  caps: Capabilities,
  dir: string,
): Promise<string[]> {
  const file = join(dir, `native-${version}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as string[];
  const work = mkdtempSync(join(dir, 'probe-'));
  try {
    const host = new Set<string>();
    for (const deprecated of [false, true]) {
      const dir = join(work, deprecated ? 'v0' : 'v1');
      mkdirSync(dir);
      writeFileSync(join(dir, 'probe.rego'), probeModule(caps, deprecated));
      const out = join(dir, 'probe.tar.gz');
      const v0 = deprecated ? ['--v0-compatible'] : [];
      const entry = deprecated ? 'probe0' : 'probe';
      await execOk(opaPath, ['build', '-t', 'wasm', ...v0, '-e', entry, '-o', out, dir]);
      const wasm = readTarGzEntry(readFileSync(out), 'policy.wasm');
      if (!wasm) throw new Error('opa build wrote no policy.wasm');
      for (const name of (await loadWasmPolicy(wasm)).hostBuiltins()) host.add(name);
    }
    const native = caps.builtins.map((b) => b.name).filter((n) => !host.has(n));
    writeFileSync(file, JSON.stringify(native));
    return native;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const versions = new Map<string, Promise<string>>();
/** The version `opa version` prints (1.22.2), asked once per opa path. */
export function opaVersion(opaPath: string): Promise<string> {
  let v = versions.get(opaPath);
  if (!v) {
    v = execOk(opaPath, ['version']).then((out) => out.match(/Version: (\S+)/)?.[1] ?? 'unknown');
    versions.set(opaPath, v);
    v.catch(() => versions.delete(opaPath));
  }
  return v;
}

/**
 * Write (once per opa version) a capabilities file restricting `opa build` to the builtins this
 * runtime can evaluate: what this opa compiles into wasm, what opa-wasm implements in
 * JavaScript, and ours, and with `opaBuiltins` the ones opa-builtins.wasm beside opa answers;
 * never a side channel. A policy using another fails at build with
 * "undefined function X". Throws when opa cannot be run (not retryable: fix the opa path).
 */
export async function writeWasmCapabilities(
  opaPath: string,
  opaBuiltins: boolean,
  dir: string,
): Promise<string> {
  const version = await opaVersion(opaPath);
  mkdirSync(dir, { recursive: true });
  const full = JSON.parse(await execOk(opaPath, ['capabilities', '--current'])) as Capabilities;
  const allowed = new Set([
    ...(await nativeBuiltins(opaPath, version, full, dir)),
    ...SDK_JS_BUILTINS,
    ...Object.keys(customBuiltins()),
    EXTERNAL_DATA.name,
    // OPA's own, where opa-builtins.wasm is installed beside this opa (go-builtins.ts).
    ...(opaBuiltins && goBuiltinsBeside(opaPath) ? GO_BUILTINS : []),
  ]);
  // Keyed by the opa version and the builtins this runtime provides: a new builtin is a new file.
  const key = createHash('sha256')
    .update([...allowed].sort().join(','))
    .digest('hex')
    .slice(0, 12);
  const file = join(dir, `capabilities-${version}-${key}.json`);
  if (existsSync(file)) return file;
  const caps = {
    ...full,
    // No host may be reached: a JSON schema's remote $ref in `opa test` included.
    allow_net: [],
    builtins: [
      ...full.builtins.filter((b) => allowed.has(b.name) && !SIDE_CHANNELS.has(b.name)),
      EXTERNAL_DATA,
    ],
  };
  writeFileSync(file, JSON.stringify(caps));
  return file;
}
