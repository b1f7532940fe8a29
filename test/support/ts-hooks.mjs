// Tests run on Node's own TypeScript support (type stripping, with parameter properties
// transformed), not a compiler loaded into every test process: tap's ts-node plugin cost each
// of the ~160 test files over a second of start-up before its first test. The sources import
// each other as `./x.js` (what tsc emits for the build); this resolves such a specifier to the
// `.ts` beside it when the importer is TypeScript. Synchronous, in-thread hooks: no loader
// worker to wait on.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (relative && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      try {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      } catch {
        // a real .js file beside the TypeScript
      }
    }
    return nextResolve(specifier, context);
  },
});
