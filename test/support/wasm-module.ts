// One Rego module built as the product builds policies (`opa build -t wasm` under the product's
// capabilities) and loaded with the product's builtins: for tests of single builtins.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { customBuiltins } from '../../policies/engine/builtins.js';
import { opaVersion, writeWasmCapabilities } from '../../policies/engine/capabilities.js';
import { goBuiltins, goBuiltinsBeside, loadGoBuiltins } from '../../policies/engine/go-builtins.js';
import type { Builtins } from '../../policies/engine/wasm-policy.js';
import { readTarGzEntry } from '../../policies/engine/tar.js';
import { loadWasmPolicy, type WasmPolicy } from '../../policies/engine/wasm-policy.js';
import { toolPath } from './tools.js';

/**
 * The builtins a bundle built by `opa` gets: driftgate's TypeScript ones and OPA's own from the
 * opa-builtins.wasm beside it (as loadBundle adds them).
 */
export async function productBuiltins(opa = toolPath('opa')): Promise<Builtins> {
  const path = goBuiltinsBeside(opa);
  if (!path) throw new Error(`no opa-builtins.wasm beside ${opa}: run npm run tools`);
  return { ...customBuiltins(), ...goBuiltins(await loadGoBuiltins(path, await opaVersion(opa))) };
}

/** Build `rego` with entrypoint `entry` (v0 Rego with `v0`), load it with the product's builtins. */
export async function wasmModule(rego: string, entry: string, v0 = false): Promise<WasmPolicy> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-wasm-module-'));
  try {
    const opa = toolPath('opa');
    const caps = await writeWasmCapabilities(opa, true, join(dir, 'caps'));
    writeFileSync(join(dir, 'm.rego'), rego);
    const out = join(dir, 'b.tar.gz');
    const flags = v0 ? ['--v0-compatible'] : [];
    await execOk(opa, [
      'build',
      '-t',
      'wasm',
      ...flags,
      '--capabilities',
      caps,
      '-e',
      entry,
      '-o',
      out,
      join(dir, 'm.rego'),
    ]);
    const wasm = readTarGzEntry(readFileSync(out), 'policy.wasm');
    if (!wasm) throw new Error('opa build wrote no policy.wasm');
    return await loadWasmPolicy(wasm, await productBuiltins(opa));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Evaluate `entry` of `policy` on `input`: the value of its first result. */
export const resultOf = (policy: WasmPolicy, entry: string, input: unknown = {}): unknown =>
  (
    policy.evaluate(new TextEncoder().encode(JSON.stringify(input)), entry) as { result: unknown }[]
  )[0]?.result;
