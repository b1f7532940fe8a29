// OPA's own builtin test cases (vendored from open-policy-agent/opa's test/cases/testdata, see
// test/fixtures/public/SOURCES.md) run through what driftgate runs: `opa build -t wasm` under the
// product's capabilities file, evaluated with the product's builtins. A case that wants an error
// must produce no value: as in OPA's non-strict mode (Gatekeeper's), a builtin's error is
// undefined; a JavaScript builtin's error must say what OPA says (builtinErrors()).
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { execOk } from '../../../core/exec.js';
import { regoKey } from '../../../policies/engine/rego-value.js';
import { loadWasmPolicy } from '../../../policies/engine/wasm-policy.js';
import { writeWasmCapabilities } from '../../../policies/engine/capabilities.js';
import { readTarGzEntry } from '../../../policies/engine/tar.js';
import { toolPath } from '../../support/tools.js';
import { productBuiltins } from '../../support/wasm-module.js';

interface Case {
  note: string;
  query: string;
  modules: string[];
  input_term?: string;
  /** The input as a YAML value (some cases give it so rather than as a Rego term). */
  input?: unknown;
  data?: unknown;
  want_result?: Record<string, unknown>[];
  want_error?: string;
  want_error_code?: string;
  sort_bindings?: boolean;
}

const ROOT = new URL('../../fixtures/public/opa-testdata/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : e.name.endsWith('.yaml')
        ? [join(dir, e.name)]
        : [],
  );

/** Folders whose builtin answers a set. */
const SET_FOLDERS = [
  'netcidrexpand',
  'netcidrmerge',
  'netcidrcontainsmatches',
  'reachable',
  'objectkeys',
];
/** A set comes out of the wasm as an array in no set order: both sides sorted canonically. */
const sorted = (v: unknown): unknown =>
  Array.isArray(v) ? [...v].sort((a, b) => (regoKey(a) < regoKey(b) ? -1 : 1)) : v;

/** A case's query: one or more `data.<package>.<rule> = <name>`, all in one package. */
function bindingsOf(c: Case): { pkg: string; rule: string; name: string }[] {
  const parts = c.query
    .split(/[;\n]/)
    .map((q) => q.trim())
    .filter(Boolean);
  return parts.map((q) => {
    const m = /^data\.(\w+)\.(\w+) = (\w+)$/.exec(q);
    if (!m) throw new Error(`${c.note}: query ${q} is not data.<package>.<rule> = <name>`);
    return { pkg: m[1] as string, rule: m[2] as string, name: m[3] as string };
  });
}

/** Case i's modules in a package of its own, so one build holds a whole file. */
function isolate(
  c: Case,
  i: number,
): { modules: string[]; bindings: { name: string; entrypoint: string }[] } {
  const bindings = bindingsOf(c);
  const pkg = bindings[0]?.pkg ?? '';
  const modules = c.modules.map((text) =>
    text
      .replace(new RegExp(`^package ${pkg}\\b`, 'm'), `package c${i}`)
      .replaceAll(`data.${pkg}.`, `data.c${i}.`),
  );
  return {
    modules,
    bindings: bindings.map((b) => ({ name: b.name, entrypoint: `c${i}/${b.rule}` })),
  };
}

const opa = toolPath('opa');
const work = mkdtempSync(join(tmpdir(), 'dg-opa-cases-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const caps = await writeWasmCapabilities(opa, true, join(work, 'caps'));
const builtins = await productBuiltins(opa);

for (const file of files(ROOT)) {
  const name = relative(ROOT, file);
  t.test(name, async (t) => {
    const cases = (parse(readFileSync(file, 'utf8')) as { cases: Case[] }).cases;
    const dir = mkdtempSync(join(work, 'build-'));
    const built = cases.map((c, i) => isolate(c, i));
    built.forEach((b, i) =>
      b.modules.forEach((text, j) => writeFileSync(join(dir, `c${i}_${j}.rego`), text)),
    );
    const out = join(dir, 'bundle.tar.gz');
    const v0 = name.startsWith('v0/') ? ['--v0-compatible'] : [];
    const entrypoints = built.flatMap((b) => b.bindings.flatMap((x) => ['-e', x.entrypoint]));
    await execOk(opa, [
      'build',
      '-t',
      'wasm',
      ...v0,
      '--capabilities',
      caps,
      ...entrypoints,
      '-o',
      out,
      dir,
    ]);
    const wasm = readTarGzEntry(readFileSync(out), 'policy.wasm');
    if (!wasm) throw new Error('no policy.wasm');
    const policy = await loadWasmPolicy(wasm, builtins);
    // The cases must reach driftgate's JavaScript, not values opa folded while building.
    const text = readFileSync(file, 'utf8');
    const ours = Object.keys(builtins).filter((b) => text.includes(`${b}(`));
    const called = new Set(policy.hostBuiltins());
    t.same(
      ours.filter((b) => !called.has(b)),
      [],
      `the module calls ${ours.join(', ') || 'no JavaScript builtin'}`,
    );
    cases.forEach((c, i) => {
      policy.setData(c.data ?? {});
      // A set comes out in no set order: compared sorted where the answer is a set.
      const unordered =
        c.sort_bindings === true || SET_FOLDERS.some((f) => name.includes(`/${f}/`));
      // Each binding of the query, by name; undefined when any binding has no value.
      let result: Record<string, unknown> | undefined = {};
      let error: Error | undefined;
      try {
        for (const b of built[i]?.bindings ?? []) {
          // An input term is Rego (it may hold sets), read as Rego by the module.
          const rs = (
            c.input_term === undefined
              ? policy.evaluate(
                  new TextEncoder().encode(c.input === undefined ? '' : JSON.stringify(c.input)),
                  b.entrypoint,
                )
              : // Rego allows trailing commas; OPA's wasm value parser does not.
                policy.evaluateRegoInput(c.input_term.replace(/,(\s*[}\]])/g, '$1'), b.entrypoint)
          ) as { result: unknown }[];
          if (rs.length === 0) {
            result = undefined;
            break;
          }
          result[b.name] = unordered ? sorted(rs[0]?.result) : rs[0]?.result;
        }
      } catch (err) {
        error = err as Error;
      }
      if (c.want_error !== undefined || c.want_error_code !== undefined) {
        t.equal(result, undefined, `${c.note}: no value`);
        t.equal(error, undefined, `${c.note}: undefined, as OPA reads a builtin's error`);
        // OPA's want_error may lead with its error code (eval_builtin_error: …).
        const message = (c.want_error ?? '').replace(/^.*?eval_\w+_error: /, '');
        const seen = policy.builtinErrors();
        if (message && ours.length > 0)
          t.ok(
            seen.some((m) => m.includes(message)),
            `${c.note}: OPA's message among ${JSON.stringify(seen)}`,
          );
        return;
      }
      t.equal(error, undefined, `${c.note}: no error`);
      const want = c.want_result?.[0];
      t.same(
        result,
        want &&
          Object.fromEntries(Object.entries(want).map(([k, v]) => [k, unordered ? sorted(v) : v])),
        c.note,
      );
    });
  });
}
