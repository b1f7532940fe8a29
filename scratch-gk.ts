import { verifySuites } from './policies/engine/gatekeeper/verify.js';
import { toolPath } from './test/support/tools.js';
const t0 = Date.now();
const r = await verifySuites(process.argv[2]!, { opaPath: toolPath('opa') });
for (const x of r.results) if (!x.ok) console.log(x.suite, x.test, x.case, x.unsupported ?? x.message);
console.log(r.results.filter((x) => x.ok).length, 'ok of', r.results.length, [...r.unsupported.keys()], Date.now() - t0);
