// The WASI preview1 imports a Go program built for GOOS=wasip1 asks for, given nothing: no
// arguments, no environment, no preopened directory (so no file can be opened), output dropped.
// Only the clocks and randomness are real. node:wasi would do the same with an experimental
// warning on every CLI run and a file-system surface driftgate does not want to hand out.
import { randomFillSync } from 'node:crypto';

const SUCCESS = 0;
const BADF = 8;
const NOSYS = 52;
/** WASI's filetype for a character device: what fds 0-2 are. */
const CHARACTER_DEVICE = 2;
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;

/** The exit of a Go program (proc_exit): its instance cannot be used again. */
export class GoExit extends Error {
  override readonly name = 'GoExit';
}

type Mem = () => ArrayBuffer;

/** The wasi_snapshot_preview1 import object, reading and writing the memory `mem` returns. */
export function goWasiImports(mem: Mem): Record<string, (...a: never[]) => number> {
  const view = (): DataView => new DataView(mem());
  const zeroCounts = (a: number, b: number): number => {
    view().setUint32(a, 0, true);
    view().setUint32(b, 0, true);
    return SUCCESS;
  };
  const imports: Record<string, (...a: never[]) => number> = {
    args_sizes_get: zeroCounts,
    environ_sizes_get: zeroCounts,
    args_get: () => SUCCESS,
    environ_get: () => SUCCESS,
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      const ns = id === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
      view().setBigUint64(out, ns, true);
      return SUCCESS;
    },
    random_get: (buf: number, len: number) => {
      randomFillSync(new Uint8Array(mem(), buf, len));
      return SUCCESS;
    },
    fd_write: (fd: number, iovs: number, count: number, written: number) => {
      if (fd !== 1 && fd !== 2) return BADF;
      let total = 0;
      for (let i = 0; i < count; i++) total += view().getUint32(iovs + i * 8 + 4, true);
      view().setUint32(written, total, true);
      return SUCCESS;
    },
    fd_fdstat_get: (fd: number, out: number) => {
      if (fd > 2) return BADF;
      new Uint8Array(mem(), out, 24).fill(0);
      view().setUint8(out, CHARACTER_DEVICE);
      return SUCCESS;
    },
    fd_prestat_get: () => BADF,
    sched_yield: () => SUCCESS,
    proc_exit: (code: number) => {
      throw new GoExit(`exited with status ${code}`);
    },
    // Every subscription (a timer: the Go scheduler idling) fires at once.
    poll_oneoff: (subs: number, events: number, n: number, count: number) => {
      const v = view();
      for (let i = 0; i < n; i++) {
        const s = subs + i * SUBSCRIPTION_BYTES;
        const e = events + i * EVENT_BYTES;
        new Uint8Array(mem(), e, EVENT_BYTES).fill(0);
        v.setBigUint64(e, v.getBigUint64(s, true), true);
        v.setUint8(e + 10, v.getUint8(s + 8));
      }
      v.setUint32(count, n, true);
      return SUCCESS;
    },
  };
  return new Proxy(imports, {
    get: (target, name: string) => target[name] ?? (() => NOSYS),
  });
}

/** Read an unsigned LEB128 at `at`: its value and the offset after it. */
function leb(b: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = b[i++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i];
    shift += 7;
  }
}
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
};
const MEMORY_SECTION = 5;

/**
 * The module `wasm` with its one memory given a maximum of `maxPages` (64 KiB each): a Go program
 * that grows past it gets no more memory and exits (out of memory), rather than taking the
 * process's. Throws when the module defines no memory of its own or already bounds it lower.
 */
export function boundMemory(wasm: Uint8Array, maxPages: number): Uint8Array {
  let at = 8; // magic and version
  while (at < wasm.length) {
    const id = wasm[at] as number;
    const [size, body] = leb(wasm, at + 1);
    if (id === MEMORY_SECTION) {
      const [count, limits] = leb(wasm, body);
      if (count !== 1) throw new Error(`a module with ${count} memories`);
      const flags = wasm[limits] as number;
      const [initial, afterInitial] = leb(wasm, limits + 1);
      const end = flags & 1 ? leb(wasm, afterInitial)[1] : afterInitial;
      if (initial > maxPages) throw new Error(`its memory starts at ${initial} pages`);
      const content = [...uleb(1), 1, ...uleb(initial), ...uleb(maxPages)];
      if (end !== body + size) throw new Error('an unexpected memory section');
      const section = [MEMORY_SECTION, ...uleb(content.length), ...content];
      const out = new Uint8Array(at + section.length + wasm.length - end);
      out.set(wasm.subarray(0, at));
      out.set(section, at);
      out.set(wasm.subarray(end), at + section.length);
      return out;
    }
    at = body + size;
  }
  throw new Error('a module without a memory of its own');
}
