// regex.globs_match decided exactly (the product of the two globs' automata), its refusals, and
// the one place it answers unlike opa: OPA's glob-intersection library walks the globs
// greedily and misses some intersections that exist.
import t from 'tap';
import { globsMatch, MAX_GLOB } from '../../../policies/engine/builtins-glob.js';

t.test('the documented meaning: both globs match some non-empty string', (t) => {
  t.equal(globsMatch('a*b*c*', 'c'), true, '"c" matches both (opa v1.22.2 answers false)');
  t.equal(globsMatch('a*', 'b*'), false, 'only the empty string is common, and it does not count');
  t.equal(globsMatch('(x)', '(x)'), true, 'parentheses are plain characters');
  t.equal(globsMatch('[a-c]+x*', 'cxx'), true);
  t.equal(globsMatch('.+', '[]'), false, 'an empty class matches nothing');
  t.end();
});

t.test('malformed globs are refused with the reason', (t) => {
  const refused: [string, RegExp][] = [
    ['[ab', /found \[ without matching \]/],
    ['*a', /flag '\*' must be preceded by a non-flag/],
    ['a]', /set-close '\]' with no preceding '\['/],
    ['ab\\', /ends with a \\ \(escape\) character/],
    ['[z-a]', /range is out of order/],
    ['[-a]', /must be preceded by a character/],
    ['x'.repeat(MAX_GLOB + 1), /longer than 2048 characters/],
  ];
  for (const [glob, why] of refused) t.throws(() => globsMatch(glob, 'a'), why, glob.slice(0, 20));
  t.throws(() => globsMatch(1, 'a'), /operand 1 must be string/);
  t.end();
});

t.test('the longest globs are decided without blowing up', (t) => {
  const long = '.*a'.repeat(600);
  t.equal(globsMatch(long, `${'a'.repeat(600)}`), true);
  t.equal(globsMatch(long, 'b+'), false);
  t.end();
});
