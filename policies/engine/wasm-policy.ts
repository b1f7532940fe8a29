// A Rego policy compiled by `opa build -t wasm`, instantiated and evaluated through OPA's wasm
// ABI (1.2 and later) directly. opa-wasm's own loader answers every JavaScript builtin through
// opa_json_parse, which has no sets: a builtin whose result is a set (net.cidr_expand,
// graph.reachable_paths, cast_set …) could only answer an array, which Rego compares unequal to
// the set OPA answers. Here a builtin may answer a RegoSet, written in Rego's value syntax and
// read by opa_value_parse. Arguments arrive as JSON (a set as an array), or as Rego values for
// the builtins marked by takesRegoValues.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { goSprintf } from './sprintf.js';
import { hasSet, parseRegoText, regoText } from './rego-value.js';
import { LimitError } from './limit-error.js';

/** Builtin errors kept per evaluation, for diagnosis. */
const MAX_ERRORS = 16;
const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 1024);

export type Builtin = (...args: never[]) => unknown;

/**
 * A builtins record may carry this function: called as each evaluation starts, so a builtin
 * whose answer must stay the same within one evaluation (uuid.rfc4122, rand.intn) forgets the
 * last one's answers, as OPA keeps them for one query.
 */
export const EVALUATION_START = Symbol('evaluation start');
export type Builtins = Readonly<Record<string, Builtin>> & {
  readonly [EVALUATION_START]?: () => void;
};

const regoArgs = new WeakSet<Builtin>();
const exactArgs = new WeakSet<Builtin>();
/** Mark a builtin that takes integers past 2^53 exactly: they reach it as bigints. */
export function takesExactNumbers<F extends Builtin>(f: F): F {
  exactArgs.add(f);
  return f;
}
/** JSON.parse keeping integers past 2^53 as bigints (their source digits). */
const exactReviver = (_k: string, v: unknown, ctx?: { source?: string }): unknown =>
  typeof v === 'number' &&
  !Number.isSafeInteger(v) &&
  ctx?.source !== undefined &&
  /^-?\d+$/.test(ctx.source)
    ? BigInt(ctx.source)
    : v;
const textArgs = new WeakSet<Builtin>();
/**
 * Mark a builtin that takes its arguments as Rego text (what opa_value_dump writes) and answers
 * a RegoText: values cross exactly, sets and integers past 2^53 included (go-builtins.ts).
 */
export function takesRegoText<F extends Builtin>(f: F): F {
  textArgs.add(f);
  return f;
}
/** A builtin's answer already written in Rego's value syntax, read by opa_value_parse as is. */
export class RegoText {
  constructor(readonly text: string) {}
}
/** Mark a builtin that reads its arguments as Rego values (a set as a RegoSet, not an array). */
export function takesRegoValues<F extends Builtin>(f: F): F {
  regoArgs.add(f);
  return f;
}

// The SDK's JavaScript builtins (json.is_valid, regex.split, yaml.*), with OPA's sprintf.
const sdkRequire = createRequire(import.meta.url);
const sdkBuiltins = sdkRequire(
  join(dirname(sdkRequire.resolve('@open-policy-agent/opa-wasm')), 'builtins', 'index.js'),
) as Record<string, Builtin>;

/** Every builtin the SDK provides in JavaScript, with OPA's sprintf in place of sprintf-js. */
export const JS_BUILTINS: Readonly<Record<string, Builtin>> = {
  ...sdkBuiltins,
  // sprintf reads Rego values: a set prints as a set, in OPA's order.
  sprintf: takesRegoValues(goSprintf as Builtin),
};

/** What a module built by `opa build -t wasm` exports (OPA's wasm ABI 1.2). */
interface Exports {
  readonly opa_wasm_abi_version?: { value: number };
  readonly opa_wasm_abi_minor_version?: { value: number };
  builtins(): number;
  entrypoints(): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(addr: number): void;
  opa_malloc(bytes: number): number;
  opa_json_parse(addr: number, len: number): number;
  opa_value_parse(addr: number, len: number): number;
  opa_json_dump(addr: number): number;
  opa_value_dump(addr: number): number;
  opa_eval(...args: [number, number, number, number, number, number, number]): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, addr: number): void;
  opa_eval_ctx_set_data(ctx: number, addr: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, id: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
}
interface WasmGlobal {
  WebAssembly: {
    Memory: new (d: { initial: number; maximum?: number }) => {
      buffer: ArrayBuffer;
      grow(n: number): number;
    };
    Instance: new (m: unknown, imports: unknown) => { exports: Exports };
    compile(b: Uint8Array): Promise<unknown>;
  };
}
const WA = (globalThis as unknown as WasmGlobal).WebAssembly;

/** Compile `wasm` (a policy.wasm) and instantiate it once with `builtins`. */
export async function loadWasmPolicy(
  wasm: Uint8Array,
  builtins: Builtins = {},
  memory: { initial: number; maximum?: number } = { initial: 5 },
): Promise<WasmPolicy> {
  return new WasmPolicy(await WA.compile(wasm), memory, builtins);
}
const PAGE = 64 * 1024;

/** One instance of a compiled policy module, its data loaded once and its input per call. */
export class WasmPolicy {
  readonly mem: { buffer: ArrayBuffer; grow(n: number): number };
  private readonly ex: Exports;
  private readonly names: Record<number, string> = {};
  private readonly entrypoints: Record<string, number>;
  private readonly baseHeap: number;
  private dataAddr = 0;
  private errors: string[] = [];
  private strict = false;
  private dataHeap = 0;

  constructor(
    module: unknown,
    memory: { initial: number; maximum?: number },
    private readonly builtins: Builtins,
  ) {
    this.mem = new WA.Memory(memory);
    const call = (id: number, args: number[]): number => this.call(id, args);
    const text = (addr: number): string => this.cString(addr);
    const env = {
      memory: this.mem,
      opa_abort: (addr: number) => {
        throw text(addr);
      },
      opa_println: () => undefined,
      opa_builtin0: (id: number) => call(id, []),
      opa_builtin1: (id: number, _c: number, a: number) => call(id, [a]),
      opa_builtin2: (id: number, _c: number, a: number, b: number) => call(id, [a, b]),
      opa_builtin3: (id: number, _c: number, a: number, b: number, c: number) =>
        call(id, [a, b, c]),
      opa_builtin4: (id: number, _c: number, a: number, b: number, c: number, d: number) =>
        call(id, [a, b, c, d]),
    };
    this.ex = new WA.Instance(module, { env }).exports;
    const major = this.ex.opa_wasm_abi_version?.value;
    const minor = this.ex.opa_wasm_abi_minor_version?.value ?? 0;
    if (major !== 1 || minor < 2) throw new Error(`unsupported OPA wasm ABI ${major}.${minor}`);
    const ids = this.dump(this.ex.builtins()) as Record<string, number>;
    for (const [name, id] of Object.entries(ids)) this.names[id] = name;
    this.entrypoints = this.dump(this.ex.entrypoints()) as Record<string, number>;
    this.dataAddr = this.load(new TextEncoder().encode('{}'), false);
    this.baseHeap = this.ex.opa_heap_ptr_get();
    this.dataHeap = this.baseHeap;
  }

  /** The errors of builtins in the last evaluation (each read as undefined, as OPA does). */
  builtinErrors(): readonly string[] {
    return this.errors;
  }

  /** The builtins this module asks the host for, by name. */
  hostBuiltins(): string[] {
    return Object.values(this.names);
  }

  /** Load `data` (replacing what was loaded) for every later evaluation. */
  setData(data: unknown): void {
    this.ex.opa_heap_ptr_set(this.baseHeap);
    this.dataAddr = this.load(new TextEncoder().encode(JSON.stringify(data)), false);
    this.dataHeap = this.ex.opa_heap_ptr_get();
  }

  /**
   * Evaluate `entrypoint` on `input` (exactly these bytes of JSON): OPA's result set. `strict`:
   * a builtin's error fails the evaluation (OPA's strict-builtin-errors) rather than read as
   * undefined (its default, and Gatekeeper's).
   */
  evaluate(bytes: Uint8Array, entrypoint: string, strict = false): unknown {
    const id = this.entrypoints[entrypoint];
    if (id === undefined) throw new Error(`entrypoint ${entrypoint} is not valid in this instance`);
    this.builtins[EVALUATION_START]?.();
    this.errors = [];
    this.strict = strict;
    const delta = this.dataHeap + bytes.byteLength - this.mem.buffer.byteLength;
    if (delta > 0) this.mem.grow(Math.ceil(delta / PAGE));
    new Uint8Array(this.mem.buffer).set(bytes, this.dataHeap);
    const heap = this.dataHeap + bytes.byteLength;
    const inputAddr = bytes.byteLength === 0 ? 0 : this.dataHeap;
    const ret = this.ex.opa_eval(0, id, this.dataAddr, inputAddr, bytes.byteLength, heap, 0);
    return JSON.parse(this.cString(ret));
  }

  /** Evaluate `entrypoint` on an input written in Rego's syntax (sets allowed). */
  evaluateRegoInput(text: string, entrypoint: string): unknown {
    const id = this.entrypoints[entrypoint];
    if (id === undefined) throw new Error(`entrypoint ${entrypoint} is not valid in this instance`);
    this.builtins[EVALUATION_START]?.();
    this.errors = [];
    this.strict = false;
    this.ex.opa_heap_ptr_set(this.dataHeap);
    const input = this.load(new TextEncoder().encode(text), true);
    const ctx = this.ex.opa_eval_ctx_new();
    this.ex.opa_eval_ctx_set_input(ctx, input);
    this.ex.opa_eval_ctx_set_data(ctx, this.dataAddr);
    this.ex.opa_eval_ctx_set_entrypoint(ctx, id);
    this.ex.eval(ctx);
    return this.dump(this.ex.opa_eval_ctx_get_result(ctx));
  }

  private call(id: number, args: number[]): number {
    const name = this.names[id] ?? String(id);
    const impl = this.builtins[name] ?? JS_BUILTINS[name];
    if (!impl) throw new Error(`not implemented: built-in function ${name}`);
    const values = textArgs.has(impl)
      ? args.map((a) => this.cString(this.ex.opa_value_dump(a)))
      : regoArgs.has(impl)
        ? args.map((a) => parseRegoText(this.cString(this.ex.opa_value_dump(a))))
        : exactArgs.has(impl)
          ? args.map(
              (a) => JSON.parse(this.cString(this.ex.opa_json_dump(a)), exactReviver) as unknown,
            )
          : args.map((a) => this.dump(a));
    // A builtin's error is undefined, as in OPA (non-strict, as Gatekeeper runs it), and kept
    // for builtinErrors(); in strict mode, or past driftgate's own bounds, it fails the evaluation.
    let result: unknown;
    try {
      result = (impl as (...a: unknown[]) => unknown)(...values);
    } catch (err) {
      if (this.strict || err instanceof LimitError) throw err;
      if (this.errors.length < MAX_ERRORS) this.errors.push(errorText(err));
      return 0;
    }
    if (result === undefined) return 0;
    if (result instanceof RegoText) return this.load(new TextEncoder().encode(result.text), true);
    // Only builtins that read Rego values answer sets: no walk of every other answer.
    const rego = regoArgs.has(impl) && hasSet(result);
    const text = rego ? regoText(result) : JSON.stringify(result);
    return this.load(new TextEncoder().encode(text), rego);
  }

  /** Parse JSON (or, with `rego`, Rego value syntax) into the module's heap: its address. */
  private load(bytes: Uint8Array, rego: boolean): number {
    const addr = this.ex.opa_malloc(bytes.byteLength);
    new Uint8Array(this.mem.buffer).set(bytes, addr);
    const parsed = (rego ? this.ex.opa_value_parse : this.ex.opa_json_parse)(
      addr,
      bytes.byteLength,
    );
    if (parsed === 0) throw new Error('failed to parse a value into the policy');
    return parsed;
  }

  private dump(addr: number): unknown {
    return JSON.parse(this.cString(this.ex.opa_json_dump(addr)));
  }

  private cString(addr: number): string {
    const buf = new Uint8Array(this.mem.buffer);
    let end = addr;
    while (buf[end] !== 0) end++;
    return new TextDecoder().decode(buf.subarray(addr, end));
  }
}
