// A Gatekeeper suite case's assertions (`violations`, `message`), judged as gator judges them.

export interface Assertion {
  readonly violations?: number | string;
  readonly message?: string;
}

/**
 * An assertion's message pattern, compiled. gator's Go regexp runs in linear time; JavaScript's
 * backtracks, so a pattern from Git that could backtrack without end (a quantified group holding
 * a quantifier, or a back-reference) or longer than 500 characters is refused. Throws.
 */
export function messagePattern(pattern: string): RegExp {
  if (pattern.length > 500) throw new Error('a message pattern longer than 500 characters');
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{?]/.test(pattern) || /\\[1-9]/.test(pattern))
    throw new Error(
      `message pattern ${JSON.stringify(pattern)} could backtrack without end (nested quantifiers or back-references are refused)`,
    );
  return new RegExp(pattern);
}

export function checkAssertion(a: Assertion, messages: readonly string[]): string | undefined {
  const re = a.message === undefined ? undefined : messagePattern(a.message);
  const matching = messages.filter((m) => !re || re.test(m)).length;
  const want = a.violations ?? 'yes';
  const containing = a.message === undefined ? '' : ` containing "${a.message}"`;
  const got = `got ${matching} violations${containing}`;
  if (typeof want === 'number')
    return matching === want ? undefined : `${got} but want exactly ${want}`;
  if (want === 'yes') return matching > 0 ? undefined : `${got} but want at least 1`;
  if (want === 'no') return matching === 0 ? undefined : `${got} but want none`;
  return `violations must be a number, "yes" or "no" (found ${String(want)})`;
}
