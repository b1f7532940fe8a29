import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { customBuiltins, SDK_JS_BUILTINS } from './builtins.js';

interface Capabilities {
  builtins: { name: string }[];
  [key: string]: unknown;
}

const require = createRequire(import.meta.url);

/** Builtins that reach outside the evaluation (network, environment): never allowed. */
const SIDE_CHANNELS = /^(http\.send|net\.|opa\.runtime$)/;

/** Builtin names a compiled policy may use here: wasm-native, SDK-provided, or ours. */
export function supportedBuiltins(): Set<string> {
  const wasmPkg = require.resolve('@open-policy-agent/opa-wasm').replace(/src[/\\]index\.cjs$/, '');
  const sdk = require(join(wasmPkg, 'capabilities.json')) as Capabilities;
  return new Set([
    ...sdk.builtins.map((b) => b.name),
    ...SDK_JS_BUILTINS,
    ...Object.keys(customBuiltins()),
  ]);
}

/**
 * Write (once per opa version) a capabilities file restricting `opa build` to the builtins this
 * runtime can evaluate, so a policy using another fails at build with "undefined function X".
 * Throws when opa cannot be run (not retryable: fix the opa path).
 */
export async function writeWasmCapabilities(opaPath: string, dir: string): Promise<string> {
  const version = (await execOk(opaPath, ['version'])).match(/Version: (\S+)/)?.[1] ?? 'unknown';
  const allowed = supportedBuiltins();
  // Keyed by the opa version and the builtins this runtime provides: a new builtin is a new file.
  const key = createHash('sha256')
    .update([...allowed].sort().join(','))
    .digest('hex')
    .slice(0, 12);
  const file = join(dir, `capabilities-${version}-${key}.json`);
  if (existsSync(file)) return file;
  const full = JSON.parse(await execOk(opaPath, ['capabilities', '--current'])) as Capabilities;
  const caps = {
    ...full,
    builtins: full.builtins.filter((b) => allowed.has(b.name) && !SIDE_CHANNELS.test(b.name)),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(caps));
  return file;
}
