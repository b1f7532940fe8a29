/**
 * Generated AdmissionReview cases for the webhook fuzzer: each says what a correct webhook must
 * answer. Deterministic for a seed, so a failure can be replayed.
 */

/** What the answer must be: HTTP 400 with a stable code, a review echoing the uid, or a decision. */
export type Expect =
  | { readonly kind: 'bad'; readonly status: 400 | 415 }
  | { readonly kind: 'review' }
  | { readonly kind: 'known'; readonly allowed: boolean; readonly code?: string };

export interface FuzzCase {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly uid: string;
  readonly expect: Expect;
}

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Obj = Record<string, unknown>;

const pick = <T>(rnd: () => number, list: readonly T[]): T =>
  list[Math.floor(rnd() * list.length)] as T;

const pod = (image: string, extra: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop', labels: { app: 'shop' } },
  spec: { containers: [{ name: 'c', image, ...extra }] },
});

export const request = (uid: string, over: Obj = {}): Obj => ({
  uid,
  operation: 'CREATE',
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  resource: { group: '', version: 'v1', resource: 'configmaps' },
  namespace: 'shop',
  name: 'c',
  userInfo: { username: 'alice', groups: ['system:authenticated'] },
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } },
  dryRun: false,
  ...over,
});

export const review = (req: unknown): Obj => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: req,
});

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** Known answers with the built-in library: a plain ConfigMap passes, a privileged Pod does not. */
export function knownCase(uid: string, deny: boolean): FuzzCase {
  const req = deny
    ? request(uid, {
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        name: 'p',
        // Pod Security baseline: enforced on the defaults.
        object: pod('nginx:1.27', { securityContext: { privileged: true } }),
      })
    : request(uid);
  return {
    name: deny ? 'known deny' : 'known allow',
    body: json(review(req)),
    contentType: 'application/json',
    uid,
    expect: { kind: 'known', allowed: !deny },
  };
}

const surrogates = ['\ud800', '\udfff', 'a\udbffb', '\udc00\ud800', '\\ud800', '\u0000'];
const weird: readonly unknown[] = [null, 0, -1, 1e308, true, 'x', [], {}, [1, 'a'], { a: 1 }];

/** Field mutations of a valid request that the contract refuses (HTTP 400). */
const malformed: readonly ((r: Obj) => unknown)[] = [
  (r) => ({ ...r, uid: 7 }),
  (r) => ({ ...r, uid: '' }),
  (r) => ({ ...r, operation: 'PATCH' }),
  (r) => ({ ...r, kind: 'ConfigMap' }),
  (r) => ({ ...r, kind: { group: 1, version: 'v1', kind: 'ConfigMap' } }),
  (r) => ({ ...r, userInfo: undefined }),
  (r) => ({ ...r, userInfo: null }),
  (r) => ({ ...r, userInfo: 'alice' }),
  (r) => ({ ...r, userInfo: { username: 'alice', groups: 'system:masters' } }),
  (r) => ({ ...r, userInfo: { username: 'alice', groups: { a: 1 } } }),
  (r) => ({ ...r, userInfo: { username: 'alice', groups: 3 } }),
  (r) => ({ ...r, userInfo: { username: 'alice', groups: [1, 2] } }),
  (r) => ({ ...r, userInfo: { username: 42 } }),
  (r) => ({ ...r, object: 'x' }),
  (r) => ({ ...r, object: [1] }),
  (r) => ({ ...r, object: { metadata: 'x' } }),
  (r) => ({ ...r, object: { metadata: { labels: { a: 1 } } } }),
  (r) => ({ ...r, object: { metadata: { annotations: ['a'] } } }),
  (r) => ({ ...r, oldObject: 5 }),
  (r) => ({ ...r, namespace: ['shop'] }),
  (r) => ({ ...r, name: {} }),
  (r) => ({ ...r, subResource: 1 }),
  (r) => ({ ...r, dryRun: 'yes' }),
  (r) => ({ ...r, options: 'force' }),
  (r) => ({ ...r, resource: 'configmaps' }),
];

const nest = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** Whole-body mutations refused before or while parsing (HTTP 400). */
function badBody(rnd: () => number, uid: string): Buffer {
  const valid = JSON.stringify(review(request(uid)));
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return Buffer.from(valid.slice(0, Math.floor(rnd() * valid.length)));
    case 1:
      return Buffer.from(
        Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)),
      );
    case 2:
      return Buffer.from(
        JSON.stringify(review(request(uid, { object: JSON.parse(nest(1)) }))).replace(
          '[]',
          nest(300),
        ),
      );
    case 3:
      return json({ ...review(request(uid)), apiVersion: 'admission.k8s.io/v1beta1' });
    case 4:
      return json({ ...review(request(uid)), request: weird[Math.floor(rnd() * weird.length)] });
    case 5:
      return json(weird[Math.floor(rnd() * weird.length)]);
    case 6:
      return Buffer.from(valid.replace('"uid"', '"uuid"'));
    default:
      return json(review(pick(rnd, malformed)(request(uid))));
  }
}

/** Valid but hostile requests: each must get a review that echoes its uid. */
function hostile(rnd: () => number, uid: string): Obj {
  const s = pick(rnd, surrogates);
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return request(uid, {
        name: `c${s}`,
        object: { ...(request(uid).object as Obj), data: { [s]: s } },
      });
    case 1:
      return request(uid, {
        object: pod(`nginx${s}:1`, { args: [s, s] }),
        kind: { group: '', version: 'v1', kind: 'Pod' },
      });
    case 2:
      return request(uid, { userInfo: { username: s, groups: [s] } });
    case 3:
      return request(uid, {
        object: {
          kind: 'ConfigMap',
          metadata: { name: 'c' },
          data: { big: 'x'.repeat(Math.floor(rnd() * 200_000)) },
        },
      });
    case 4:
      return request(uid, { operation: 'DELETE', object: null, oldObject: request(uid).object });
    default:
      return request(uid, {
        object: {
          kind: 'ConfigMap',
          metadata: { name: 'c', labels: { [s]: s } },
          n: [1e308, -0, 0.1],
        },
      });
  }
}

/** The i-th case of a run: every `knownEvery`-th is a known answer, the rest hostile or malformed. */
export function fuzzCase(rnd: () => number, i: number, knownEvery = 10): FuzzCase {
  const uid = `fuzz-${i}`;
  if (i % knownEvery === 0) return knownCase(uid, (i / knownEvery) % 2 === 1);
  if (i % 997 === 0)
    return {
      name: 'node bomb',
      body: nodeBomb(uid),
      contentType: 'application/json',
      uid,
      expect: { kind: 'bad', status: 400 },
    };
  const roll = rnd();
  if (roll < 0.02)
    return {
      name: 'content type',
      body: json(review(request(uid))),
      contentType: 'text/plain',
      uid,
      expect: { kind: 'bad', status: 400 },
    };
  if (roll < 0.55)
    return {
      name: 'malformed',
      body: badBody(rnd, uid),
      contentType: 'application/json',
      uid,
      expect: { kind: 'bad', status: 400 },
    };
  return {
    name: 'hostile',
    body: json(review(hostile(rnd, uid))),
    contentType: 'application/json',
    uid,
    expect: { kind: 'review' },
  };
}

/**
 * Finding 1: a review holding `objects` empty objects (2,000,000: 5.7 MB, under the 7 MiB body
 * limit), in arrays of 10,000 so that only the total count is over a limit.
 */
export function nodeBomb(uid: string, objects = 2_000_000): Buffer {
  const valid = JSON.stringify(review(request(uid)));
  const at = valid.indexOf('"dryRun":false');
  const chunk = `[${'{},'.repeat(9_999)}{}]`;
  const chunks = Math.floor(objects / 10_000);
  return Buffer.concat([
    Buffer.from(`${valid.slice(0, at)}"x":[`),
    Buffer.from(Array.from({ length: chunks }, () => chunk).join(',')),
    Buffer.from(`],${valid.slice(at)}`),
  ]);
}
