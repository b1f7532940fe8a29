#!/usr/bin/env node
// The driftgate command: the one composition root that reads argv and the environment.
import { cli } from './run.js';
import { ReconcilerConfigError } from '../reconciler/config/parse.js';
import { ConfigError } from '../webhook/config.js';

cli(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof ReconcilerConfigError) {
      console.error(`driftgate: ${err.message}\nFix the config file and start again.`);
      process.exit(2);
    }
    console.error(`driftgate: ${(err as Error).message}`);
    process.exit(1);
  },
);
