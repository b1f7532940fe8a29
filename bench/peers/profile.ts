// Where a process spent its CPU: the self time of a V8 .cpuprofile (node --cpu-prof), summed by
// function and file and by file alone, the largest first. For bench:sync-peers' BENCH_PROFILE.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const where = (url: string, root: string): string => {
  const path = url.replace(/^file:\/\//, '');
  if (path.includes('/node_modules/'))
    return `npm:${path
      .split('/node_modules/')
      .pop()
      ?.split('/')
      .slice(0, path.includes('/node_modules/@') ? 2 : 1)
      .join('/')}`;
  if (path.startsWith(root)) return relative(root, path);
  return path === '' ? '(native)' : path.startsWith('node:') ? path : `node:${path}`;
};

/** The top `n` entries by self time, by function and by file, of every profile in `dir`. */
export function summarize(dir: string, root: string, n = 12): string {
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((node) => [node.id, node]));
    p.samples.forEach((id, i) => {
      const frame = nodes.get(id)?.callFrame;
      const us = p.timeDeltas[i] ?? 0;
      if (!frame || frame.functionName === '(idle)') return;
      total += us;
      const file = where(frame.url, root);
      const fn = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + us);
      byFile.set(file, (byFile.get(file) ?? 0) + us);
    });
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `CPU profile: ${(total / 1e6).toFixed(1)} s busy\nby file:\n${top(byFile)}\nby function:\n${top(byFn)}`;
}
