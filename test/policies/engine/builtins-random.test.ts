// uuid.rfc4122 and rand.intn: one answer per argument within an evaluation, a new one in the
// next, within bounds, as OPA keeps them for one query.
import t from 'tap';
import { resultOf, wasmModule } from '../../support/wasm-module.js';

const rego = `package r
import rego.v1
out := {
  "same": uuid.rfc4122(input.k) == uuid.rfc4122(input.k),
  "other": uuid.rfc4122(input.k) != uuid.rfc4122(concat("", [input.k, "x"])),
  "uuid": uuid.rfc4122(input.k),
  "ints": [rand.intn(input.k, n) | some n in [input.n, input.n]],
  "negative": rand.intn(input.k, 0 - input.n),
  "zero": rand.intn(input.k, 0),
}
`;

t.test('stable within an evaluation, fresh in the next, within bounds', async (t) => {
  const policy = await wasmModule(rego, 'r/out');
  type Out = {
    same: boolean;
    other: boolean;
    uuid: string;
    ints: number[];
    negative: number;
    zero: number;
  };
  const runs = Array.from({ length: 20 }, () => resultOf(policy, 'r/out', { k: 'a', n: 7 }) as Out);
  for (const r of runs) {
    t.equal(r.same, true);
    t.equal(r.other, true);
    t.match(r.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.equal(r.ints[0], r.ints[1], 'one answer for one (string, n)');
    t.ok(r.ints.every((n) => Number.isInteger(n) && n >= 0 && n < 7));
    t.ok(r.negative >= 0 && r.negative < 7, 'a negative bound counts as its size');
    t.equal(r.zero, 0);
  }
  t.equal(new Set(runs.map((r) => r.uuid)).size, runs.length, 'each evaluation its own uuid');
  t.ok(new Set(runs.map((r) => r.ints[0])).size > 1, 'and its own random numbers');
});
