// OPA's own implementations of the pure builtins driftgate does not write again in TypeScript
// (X.509, private keys, GraphQL, JSON Schema, Go templates, Rego parsing), from
// tools/opa-builtins: a Go module built from the opa binary's own OPA version for wasip1 and
// installed beside opa as opa-builtins.wasm. Loaded only by a bundle whose policies call one
// (about 60 MiB of compiled code), once per thread; its answers are OPA's, byte for byte.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveTool } from '../../core/tool-path.js';
import { boundMemory, goWasiImports, GoExit } from './go-wasi.js';
import { LimitError } from './limit-error.js';
import { RegoText, takesRegoText, type Builtin, type Builtins } from './wasm-policy.js';

/** The builtins opa-builtins.wasm answers. */
export const GO_BUILTINS: readonly string[] = [
  'crypto.parse_private_keys',
  'crypto.x509.parse_and_verify_certificates',
  'crypto.x509.parse_and_verify_certificates_with_options',
  'crypto.x509.parse_certificate_request',
  'crypto.x509.parse_certificates',
  'crypto.x509.parse_keypair',
  'crypto.x509.parse_rsa_private_key',
  'graphql.is_valid',
  'graphql.parse',
  'graphql.parse_and_verify',
  'graphql.parse_query',
  'graphql.parse_schema',
  'graphql.schema_is_valid',
  'json.match_schema',
  'json.verify_schema',
  'rego.parse_module',
  'strings.render_template',
];
const GO_SET = new Set(GO_BUILTINS);

/** Arguments of one call past this are refused: the module's memory is not bounded by opa's. */
export const GO_MAX_REQUEST = 4 * 1024 * 1024;
/** An answer past this is refused. */
export const GO_MAX_ANSWER = 16 * 1024 * 1024;
/** The most memory an instance may have: past it, its Go runtime runs out and exits. */
export const GO_MAX_MEMORY = 128 * 1024 * 1024;
/** An instance whose memory grew past this is replaced after the call. */
const GO_KEEP_MEMORY = 64 * 1024 * 1024;

/** Where opa-builtins.wasm is expected: beside the opa binary `opaPath` names (on PATH or not). */
export function goBuiltinsBeside(opaPath: string): string | undefined {
  let opa: string;
  try {
    opa = resolveTool('opaPath', opaPath);
  } catch {
    return undefined;
  }
  const wasm = join(dirname(realpathSync(opa)), 'opa-builtins.wasm');
  return existsSync(wasm) ? wasm : undefined;
}

/** Which of a module's host builtins need opa-builtins.wasm. */
export const needsGo = (names: readonly string[]): boolean => names.some((n) => GO_SET.has(n));

interface WasmApi {
  compile(b: Uint8Array): Promise<object>;
  Instance: new (m: object, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface GoExports {
  memory: { buffer: ArrayBuffer };
  _initialize(): void;
  input_buffer(n: number): number;
  output_buffer(): number;
  opa_version(): number;
  call(n: number): number;
}

/**
 * One instance of opa-builtins.wasm: made at the first call (a thread that loads a bundle but
 * never calls one of these pays only for the shared compiled module), checked then to be built
 * from `version`, replaced after an exit or a large call.
 */
export class GoBuiltins {
  private ex?: GoExports;

  constructor(
    private readonly module: object,
    private readonly version: string,
  ) {}

  /** Call builtin `name` on arguments in Rego text: its answer in Rego text, or undefined. */
  call(name: string, args: readonly string[]): string | undefined {
    const req = new TextEncoder().encode(JSON.stringify({ name, args }));
    if (req.byteLength > GO_MAX_REQUEST)
      throw new LimitError(`${name}: arguments larger than ${GO_MAX_REQUEST} bytes are refused`);
    let answer: { value?: string; error?: string };
    try {
      const ex = this.instance();
      const at = ex.input_buffer(req.byteLength);
      new Uint8Array(ex.memory.buffer, at, req.byteLength).set(req);
      answer = JSON.parse(this.read(ex.call(req.byteLength))) as typeof answer;
      if (ex.memory.buffer.byteLength > GO_KEEP_MEMORY) this.ex = undefined;
    } catch (err) {
      this.ex = undefined; // a trap or an exit leaves nothing to reuse
      // Out of its memory (Go traps, or exits on a fatal error): refused past driftgate's bound,
      // never read as undefined.
      if (err instanceof LimitError) throw err;
      if (err instanceof GoExit || (err as Error).name === 'RuntimeError')
        throw new LimitError(`${name}: ran out of its ${GO_MAX_MEMORY} bytes of memory or failed`);
      throw new Error(`${name}: ${String(err)}`);
    }
    if (answer.error !== undefined) throw new Error(answer.error);
    return answer.value;
  }

  private instance(): GoExports {
    if (this.ex) return this.ex;
    const box: { ex?: GoExports } = {};
    const wasi = goWasiImports(() => (box.ex as GoExports).memory.buffer);
    const inst = new WA.Instance(this.module, { wasi_snapshot_preview1: wasi });
    const ex = (box.ex = inst.exports as unknown as GoExports);
    ex._initialize();
    const size = ex.opa_version();
    const built = JSON.parse(
      new TextDecoder().decode(new Uint8Array(ex.memory.buffer, ex.output_buffer(), size)),
    ) as string;
    // Another OPA's builtins would answer as that OPA: every call fails, never undefined.
    if (built !== this.version.replace(/^v/, ''))
      throw new LimitError(`opa-builtins.wasm is built from OPA ${built}, opa is ${this.version}`);
    return (this.ex = ex);
  }

  private read(size: number): string {
    if (size > GO_MAX_ANSWER) throw new LimitError(`an answer of ${size} bytes is refused`);
    const ex = this.instance();
    return new TextDecoder().decode(new Uint8Array(ex.memory.buffer, ex.output_buffer(), size));
  }
}

const loaded = new Map<string, Promise<GoBuiltins>>();
/** Compiled modules by path: a worker given one by its pool shares its code (not copied). */
const modules = new Map<string, object>();

/** The module this thread compiled (or was given) for `path`, to post to a worker. */
export const compiledGoModule = (path: string): object | undefined => modules.get(path);

/** Use `module` (compiled by another thread, from `path`) rather than compiling it again. */
export function provideGoModule(path: string, module: object): void {
  if (!modules.has(path)) modules.set(path, module);
}

/**
 * This thread's opa-builtins.wasm at `path`, for an opa of `version` (checked at the first call):
 * compiled here, or given by the pool's thread. Throws when it cannot be read or compiled.
 */
export function loadGoBuiltins(path: string, version: string): Promise<GoBuiltins> {
  const key = `${path}\0${version}`;
  let p = loaded.get(key);
  if (!p) {
    const given = modules.get(path);
    const module = given
      ? Promise.resolve(given)
      : WA.compile(boundMemory(readFileSync(path), GO_MAX_MEMORY / 65536));
    const go = module.then((m) => {
      modules.set(path, m);
      return new GoBuiltins(m, version);
    });
    go.catch(() => loaded.delete(key));
    loaded.set(key, (p = go));
  }
  return p;
}

/** The builtins record answering GO_BUILTINS through `go`. */
export function goBuiltins(go: GoBuiltins): Builtins {
  const out: Record<string, Builtin> = {};
  for (const name of GO_BUILTINS)
    out[name] = takesRegoText(((...args: string[]) => {
      const value = go.call(name, args);
      return value === undefined ? undefined : new RegoText(value);
    }) as Builtin);
  return out;
}
