import t from 'tap';
import { Type } from '@sinclair/typebox';
import { parseDuration } from '../../core/duration.js';
import { readSchema } from '../../core/schema/check.js';
import { toJsonSchema, toOpenApi } from '../../core/schema/export.js';
import { undocumented, usage } from '../../core/schema/help.js';
import {
  DURATION_PATTERN,
  Duration,
  FreeForm,
  Int,
  Mapping,
  OneOf,
  Str,
  Strings,
} from '../../core/schema/keywords.js';

const S = Mapping(
  {
    name: Str({ description: 'name', maxLength: 5 }),
    every: Duration({ description: 'period', default: '1m' }, true),
    level: OneOf(['a', 'b'], { description: 'level', default: 'a' }),
    count: Int(1, 3, { description: 'count', default: 1 }),
    ratio: Type.Number({ description: 'ratio', exclusiveMaximum: 1, default: 0.5 }),
    whole: Type.Integer({ description: 'whole', default: 2 }),
    tags: Strings({ description: 'tags', default: [] }),
    values: Type.Optional(FreeForm({ description: 'values' })),
    labels: Type.Optional(
      Type.Object({}, { description: 'labels', additionalProperties: Type.String() }),
    ),
    open: Type.Optional(Type.Object({}, { description: 'anything' })),
    nested: Mapping(
      { on: Type.Boolean({ description: 'on' }) },
      { description: 'a required mapping' },
    ),
    list: Type.Optional(
      Type.Array(Mapping({ id: Str({ description: 'id' }) }, { description: 'item' }), {
        description: 'items',
        itemLabel: 'id',
      }),
    ),
  },
  { description: 'test' },
);

t.test('defaults fill what is absent; a valid value passes untouched', async (t) => {
  const problems: string[] = [];
  const v = readSchema(
    S,
    { name: 'x', every: 0, nested: { on: true }, open: { a: 1 } },
    '',
    problems,
  );
  t.same(problems, []);
  t.same(v, {
    name: 'x',
    every: 0,
    level: 'a',
    count: 1,
    ratio: 0.5,
    whole: 2,
    tags: [],
    open: { a: 1 },
    nested: { on: true },
  });
});

t.test('every wrong value is one problem, and a stand-in keeps the result typed', async (t) => {
  const problems: string[] = [];
  const v = readSchema(
    S,
    {
      name: 'toolong',
      every: 'soon',
      level: 'c',
      count: 9,
      ratio: 1,
      whole: 1.5,
      tags: [1],
      values: [],
      labels: { a: 1 },
      nested: 'yes',
      list: [{ id: 'one', idd: 1 }, 'two'],
    },
    'cfg',
    problems,
  );
  t.same(problems, [
    'cfg.name must be a non-empty string',
    'cfg.every must be a duration such as 30s or 5m',
    'cfg.level must be one of a, b',
    'cfg.count must be an integer from 1 to 3',
    'cfg.ratio must be a number',
    'cfg.whole must be an integer',
    'cfg.tags must be a list of strings',
    'cfg.values must be a mapping',
    'cfg.labels.a must be a string',
    'cfg.nested must be a mapping',
    'unknown key cfg.list[0] (one).idd (did you mean id?)',
    'cfg.list[1] must be a mapping',
  ]);
  t.same(v.nested, { on: false }, 'a wrong mapping stands in, each key with its own stand-in');
  t.same([v.name, v.every, v.count, v.tags], ['', '1m', 1, []]);
});

t.test('an absent required mapping is read as empty; its keys are reported', async (t) => {
  const problems: string[] = [];
  readSchema(S, { name: 'x' }, '', problems);
  t.same(problems, ['nested.on must be true or false']);
  const top: string[] = [];
  readSchema(S, 'text', '', top);
  t.same(top, ['config must be a mapping']);
  const list: string[] = [];
  readSchema(Mapping({ l: Strings({ description: 'l' }) }, { description: 'd' }), {}, '', list);
  t.same(list, ['l is required']);
});

t.test('help and exports read the same schema', async (t) => {
  t.match(usage(S), /^ {2}every \(1m\): period$/m);
  t.match(usage(S), /^ {2}list: items\n {4}id: id$/m);
  t.same(undocumented(S), []);
  t.same(undocumented(Type.Object({ a: Type.String() })), ['a']);
  const json = toJsonSchema(S) as { properties: Record<string, Record<string, unknown>> };
  t.equal(json.properties.name?.errorMessage, undefined, 'own keywords left out');
  t.equal(json.properties.values?.['x-kubernetes-preserve-unknown-fields'], undefined);
  t.same((json as { required?: string[] }).required, ['name', 'nested'], 'defaulted keys optional');
  const api = toOpenApi(S) as {
    additionalProperties?: unknown;
    properties: Record<string, Record<string, unknown>>;
  };
  t.equal(api.additionalProperties, undefined, 'structural: unknown fields are pruned');
  t.equal(api.properties.values?.['x-kubernetes-preserve-unknown-fields'], true);
});

t.test('the duration pattern takes what parseDuration takes', async (t) => {
  const re = new RegExp(DURATION_PATTERN);
  for (const d of ['0', '250ms', '30s', '1h30m', '1.5h', '', 's', '5', 'often', '-1s', '00'])
    t.equal(re.test(d), parseDuration(d) !== undefined, JSON.stringify(d));
});
