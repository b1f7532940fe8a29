import type { DashboardSpec } from './spec.js';

/** The Grafana JSON of one dashboard: rows of panels, a ${DS_PROMETHEUS} datasource variable. */
export function render(d: DashboardSpec): object {
  const ds = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of d.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    const w = row.panels.length >= 3 ? 8 : 12;
    row.panels.forEach((panel, i) => {
      const x = (i * w) % 24;
      if (i > 0 && x === 0) y += 8;
      panels.push({
        id: id++,
        type: panel.type,
        title: panel.title,
        ...(panel.description ? { description: panel.description } : {}),
        datasource: ds,
        gridPos: { h: 8, w, x, y },
        fieldConfig: { defaults: { ...(panel.unit ? { unit: panel.unit } : {}) }, overrides: [] },
        options: panel.type === 'table' ? { showHeader: true } : {},
        targets: panel.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: ds,
          expr: t.expr,
          ...(t.legend ? { legendFormat: t.legend } : {}),
          ...(panel.type === 'table' ? { format: 'table', instant: true } : {}),
        })),
      });
    });
    y += 8;
  }
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['driftgate'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        {
          name: 'DS_PROMETHEUS',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    panels,
  };
}

export const fileOf = (d: DashboardSpec): string => `${d.uid.replace(/^driftgate-/, '')}.json`;
