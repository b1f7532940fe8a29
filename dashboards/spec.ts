// The shape of a dashboard as generate.ts writes it, and the helpers its panel lists use.
export interface Target {
  readonly expr: string;
  readonly legend?: string;
}
export interface Panel {
  readonly title: string;
  readonly type: 'timeseries' | 'stat' | 'table';
  readonly unit?: string;
  readonly description?: string;
  readonly targets: readonly Target[];
}
export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly Row[];
}

export const RI = '$__rate_interval';
export const q = (expr: string, legend?: string): Target => ({
  expr,
  ...(legend ? { legend } : {}),
});
export const p = (
  title: string,
  type: Panel['type'],
  targets: Target[],
  unit?: string,
  description?: string,
): Panel => ({
  title,
  type,
  targets,
  ...(unit ? { unit } : {}),
  ...(description ? { description } : {}),
});
