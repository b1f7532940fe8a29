// npm run dashboards — writes the five Grafana dashboards (one per audience) from the panel
// lists in executive.ts, delivery.ts, oncall.ts, admission.ts and debug.ts. The JSON files are committed and
// shipped by the chart; test/dashboards checks they are up to date, that every query uses only
// metrics driftgate exports, and, against a real Prometheus scraping a running driftgate, that
// every query returns data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMISSION } from './admission.js';
import { DEBUG } from './debug.js';
import { DELIVERY } from './delivery.js';
import { EXECUTIVE } from './executive.js';
import { ONCALL } from './oncall.js';
import { fileOf, render } from './render.js';
import type { DashboardSpec } from './spec.js';

export { fileOf, render };
export type { DashboardSpec };

export const DASHBOARDS: readonly DashboardSpec[] = [EXECUTIVE, DELIVERY, ONCALL, ADMISSION, DEBUG];

if (process.argv[1] === import.meta.filename) {
  for (const d of DASHBOARDS)
    writeFileSync(join(import.meta.dirname, fileOf(d)), `${JSON.stringify(render(d), null, 2)}\n`);
  console.log(`wrote ${DASHBOARDS.map(fileOf).join(', ')}`);
}
