import t from 'tap';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';

// `npm run demo` is the README's first command: run it to its narrated end (with --exit instead
// of waiting for Ctrl-C) and check that each thing it promises happened.
const root = join(import.meta.dirname, '..', '..');

t.test('the demo runs to its end: sync, denial, policies, break-glass reverted', async (t) => {
  const r = await exec(join(root, 'node_modules/.bin/tsx'), ['cli/demo.ts', '--exit'], {
    cwd: root,
    timeoutMs: 300_000,
  });
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout;
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
  t.match(out, 'demo complete.');
  t.notMatch(out, 'unexpectedly allowed');
});
