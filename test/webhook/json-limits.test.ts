import t from 'tap';
import { checkJsonShape, type JsonLimits } from '../../webhook/json-limits.js';
import { BadReviewError } from '../../webhook/errors.js';

const limits: JsonLimits = { maxDepth: 3, maxNodes: 10, maxStringBytes: 5, maxArrayLength: 3 };
const code = (text: string): string | number => {
  try {
    return checkJsonShape(Buffer.from(text), limits);
  } catch (err) {
    return (err as BadReviewError).code;
  }
};

const cases: { name: string; given: string; want: string | number }[] = [
  { name: 'values are counted once each', given: '{"a":[1,true,"x"]}', want: 6 },
  { name: 'whitespace does not count', given: '[ 1 , 2 ,\n3 ]', want: 4 },
  { name: 'depth at the limit', given: '[[[]]]', want: 3 },
  { name: 'one level deeper', given: '[[[[]]]]', want: 'WEBHOOK_TOO_DEEP' },
  { name: 'too many values', given: '[[1,2,3],[1,2,3],[1,2,3]]', want: 'WEBHOOK_TOO_MANY_NODES' },
  { name: 'array too long', given: '[1,2,3,4]', want: 'WEBHOOK_ARRAY_TOO_LONG' },
  { name: 'commas in objects are not array elements', given: '{"a":1,"b":2,"c":3,"d":4}', want: 9 },
  { name: 'string too long', given: '["abcdef"]', want: 'WEBHOOK_STRING_TOO_LONG' },
  { name: 'escaped quotes stay inside the string', given: '["\\"[["]', want: 2 },
  { name: 'an escaped backslash ends before the quote', given: '["ab\\\\",1]', want: 3 },
  { name: 'brackets inside strings are not structure', given: '{"[[[[":"{{{{"}', want: 3 },
  { name: 'an unterminated string ends the scan', given: '["abc', want: 2 },
];
for (const c of cases) t.equal(code(c.given), c.want, c.name);
