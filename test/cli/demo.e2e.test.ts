import t from 'tap';
import { runDemo } from '../../cli/demo-run.js';

// `npm run demo` is the README's first command: run its steps to the narrated end (in this
// process; cli/demo.ts only adds Ctrl-C handling) and check that each thing it promises happened.
t.test('the demo runs to its end: sync, denial, policies, break-glass reverted', async (t) => {
  const lines: string[] = [];
  const demo = await runDemo((l) => lines.push(l));
  t.teardown(() => demo.stop());
  const out = lines.join('\n');
  t.match(out, /dev: Synced, revision [0-9a-f]{12}, signed by ssh:platform@example.com, 2 objects/);
  t.match(
    out,
    /prod: Synced, revision [0-9a-f]{12}, signed by ssh:platform@example.com, 2 objects/,
  );
  t.match(out, /shop-prod\s+web\s+3\/3/, 'prod rolled out on the simulated node');
  t.match(
    out,
    'denied the request: driftgate: Deployment shop-prod/web (scale) is managed from Git by source "prod"',
  );
  t.match(out, '/spec/replicas (Git: 3, request: 1)');
  t.match(out, '[images/disallow_latest]');
  t.match(out, '[config/no_debug] ConfigMap debug turns debug on');
  t.match(out, 'Warning: break-glass: Git-declared fields are restored after');
  t.match(out, /reverted to 3 replicas, the state Git declares/);
  t.match(out, /driftgate_manual_changes_total\{source="prod",action="denied"\} [1-9]/);
  t.match(out, /driftgate_break_glass_uses_total\{source="prod"\} 1/);
  t.notMatch(out, 'unexpectedly allowed');
});
