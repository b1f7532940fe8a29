// Print the final stage of a Dockerfile (after its last FROM) as umoci config flags, one per line:
// USER, WORKDIR, ENV, ENTRYPOINT and CMD (exec form). Anything else in that stage is refused, so
// an image built without Docker never silently differs from `docker build`.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const lines = readFileSync(process.argv[2], 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const last = lines.findLastIndex((l) => /^FROM\s/i.test(l));
const flags = [];
for (const line of lines.slice(last + 1)) {
  const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
  switch (op?.toUpperCase()) {
    case 'COPY':
      if (!/^--from=build \/rootfs \/$/.test(rest)) throw new Error(`unsupported: ${line}`);
      break;
    case 'USER':
      flags.push(`--config.user=${rest}`);
      break;
    case 'WORKDIR':
      flags.push(`--config.workingdir=${rest}`);
      break;
    case 'ENV':
      for (const kv of rest.split(/\s+/)) flags.push(`--config.env=${kv}`);
      break;
    case 'ENTRYPOINT':
      flags.push(...JSON.parse(rest).map((a) => `--config.entrypoint=${a}`));
      break;
    case 'CMD':
      flags.push(...JSON.parse(rest).map((a) => `--config.cmd=${a}`));
      break;
    default:
      throw new Error(`unsupported in the final stage: ${line}`);
  }
}
process.stdout.write(flags.join('\n') + '\n');
