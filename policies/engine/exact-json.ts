// A number as exact JSON: big integers and long decimals cross opa-wasm's JSON boundary
// unrounded (Node's JSON.rawJSON), as OPA's own builtins give them.
export const exactJson = (digits: bigint | string): unknown =>
  (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(String(digits));
