import { Agent, request } from 'node:https';
import { fuzzCase, prng, type FuzzCase } from './cases.js';
import { WebhookError } from '../../webhook/errors.js';

export interface FuzzTarget {
  readonly url: string;
  readonly ca: string;
}

export interface FuzzReport {
  readonly sent: number;
  /** Requests that got no HTTP answer (connection reset or refused: the webhook died or hung). */
  readonly crashes: number;
  /** Answers that broke the contract, with the first few for the report. */
  readonly wrong: number;
  readonly examples: readonly string[];
  readonly knownAnswers: number;
  readonly badRequests: number;
  readonly reviews: number;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function post(agent: Agent, t: FuzzTarget, c: FuzzCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.url}/validate`,
      {
        method: 'POST',
        agent,
        ca: t.ca,
        headers: { 'content-type': c.contentType },
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', reject);
    req.end(c.body);
  });
}

const codes = new Set<string>(Object.values(WebhookError));

/** Why an answer is wrong for its case, or undefined when it is right. */
export function judge(c: FuzzCase, a: Answer): string | undefined {
  let parsed: { error?: string; response?: { uid?: string; allowed?: boolean } };
  try {
    parsed = JSON.parse(a.body);
  } catch {
    return `HTTP ${a.status} with a body that is not JSON`;
  }
  if (c.expect.kind === 'bad') {
    if (a.status !== 400) return `want HTTP 400, got ${a.status}`;
    return codes.has(parsed.error ?? '') ? undefined : `unknown error code ${parsed.error}`;
  }
  if (a.status !== 200) return `want HTTP 200, got ${a.status} ${parsed.error ?? ''}`;
  if (parsed.response?.uid !== c.uid) return `uid not echoed (${parsed.response?.uid})`;
  if (c.expect.kind === 'known' && parsed.response.allowed !== c.expect.allowed)
    return `want allowed=${c.expect.allowed}, got ${a.body.slice(0, 200)}`;
  return undefined;
}

/**
 * Send `cases` generated cases (seeded) at `concurrency` and judge every answer. A connection
 * error counts as a crash; the run goes on so the report has every count.
 */
export async function runFuzz(
  t: FuzzTarget,
  o: { cases: number; seed: number; concurrency: number },
): Promise<FuzzReport> {
  const rnd = prng(o.seed);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const r = { sent: 0, crashes: 0, wrong: 0, knownAnswers: 0, badRequests: 0, reviews: 0 };
  const examples: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.cases) {
      const c = fuzzCase(rnd, next++);
      r.sent++;
      try {
        const why = judge(c, await post(agent, t, c));
        if (c.expect.kind === 'known') r.knownAnswers++;
        else if (c.expect.kind === 'bad') r.badRequests++;
        else r.reviews++;
        if (why) {
          r.wrong++;
          if (examples.length < 5) examples.push(`${c.uid} (${c.name}): ${why}`);
        }
      } catch (err) {
        r.crashes++;
        if (examples.length < 5) examples.push(`${c.uid} (${c.name}): ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  agent.destroy();
  return { ...r, examples };
}
