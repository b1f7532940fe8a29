import type { ReconcilerConfig } from '../reconciler/config.js';
import { resolveTool } from '../core/tool-path.js';

/** A tool the command cannot do without, resolved once (PATH); undefined after printing why. */
export function requiredTool(command: string, setting: string, value: string): string | undefined {
  try {
    return resolveTool(setting, value);
  } catch (err) {
    console.error(`driftgate ${command}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * A tool only some sources need (helm, kustomize), resolved once; when it is missing the
 * command says so in one line and keeps the name (what needs it then fails with that reason).
 */
export function optionalTool(command: string, setting: string, value: string): string {
  try {
    return resolveTool(setting, value);
  } catch (err) {
    console.error(`driftgate ${command}: ${(err as Error).message} (sources that need it fail)`);
    return value;
  }
}

/** The reconciler's tools found once: opa (policies are always built), helm and kustomize. */
export function withTools<
  T extends Pick<ReconcilerConfig, 'helmPath' | 'kustomizePath'> & {
    readonly policies?: ReconcilerConfig['policies'];
  },
>(command: string, cfg: T): T | undefined {
  const opaPath = cfg.policies
    ? requiredTool(command, 'policies.opaPath', cfg.policies.opaPath)
    : undefined;
  if (cfg.policies && !opaPath) return undefined;
  return {
    ...cfg,
    helmPath: optionalTool(command, 'helmPath', cfg.helmPath),
    kustomizePath: optionalTool(command, 'kustomizePath', cfg.kustomizePath),
    ...(cfg.policies && opaPath ? { policies: { ...cfg.policies, opaPath } } : {}),
  };
}
