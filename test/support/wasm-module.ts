// One Rego module built as the product builds policies (`opa build -t wasm` under the product's
// capabilities) and loaded with the product's builtins: for tests of single builtins.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { customBuiltins } from '../../policies/engine/builtins.js';
import { wellFormedJson } from '../../policies/engine/bundle.js';
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

/**
 * `expressions` (each reading `input`, so nothing is folded at build time) as one module built
 * the product's way and evaluated with its builtins, and the same module by `opa eval`: both
 * answers, in order, and the loaded module. `opaBuiltins`: OPA's own builtins allowed too.
 */
export async function bothWays(
  expressions: readonly string[],
  input: unknown,
  opaBuiltins = false,
): Promise<{ ours: unknown[]; theirs: unknown[]; policy: WasmPolicy }> {
  const opa = toolPath('opa');
  const work = mkdtempSync(join(tmpdir(), 'dg-both-ways-'));
  try {
    const rego = join(work, 'ref.rego');
    writeFileSync(
      rego,
      [
        'package ref',
        '',
        ...expressions.map((e, i) => `r${i} := ${e}`),
        `all := [${expressions.map((_, i) => `r${i}`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(work, 'input.json'), JSON.stringify(input));
    const caps = await writeWasmCapabilities(opa, opaBuiltins, join(work, 'caps'));
    const out = join(work, 'b.tar.gz');
    await execOk(opa, [
      'build',
      '-t',
      'wasm',
      '--capabilities',
      caps,
      '-e',
      'ref/all',
      '-o',
      out,
      rego,
    ]);
    const wasm = readTarGzEntry(readFileSync(out), 'policy.wasm');
    if (!wasm) throw new Error('no wasm');
    const builtins = opaBuiltins ? await productBuiltins(opa) : customBuiltins();
    const policy = await loadWasmPolicy(wasm, builtins);
    const ours =
      (policy.evaluate(wellFormedJson(input), 'ref/all') as { result: unknown[] }[])[0]?.result ??
      [];
    const theirs = JSON.parse(
      await execOk(opa, [
        'eval',
        '--format',
        'raw',
        '-d',
        rego,
        '-i',
        join(work, 'input.json'),
        'data.ref.all',
      ]),
    ) as unknown[];
    return { ours, theirs, policy };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
