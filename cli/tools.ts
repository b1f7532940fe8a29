import type { ReconcilerConfig } from '../reconciler/config/config.js';
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
    console.error(`driftgate ${command}: ${(err as Error).message} (what needs it fails)`);
    return value;
  }
}

/**
 * The reconciler's tools found once: helm and kustomize, and opa unless `withOpa` is false (diff
 * builds no policies). Each may be missing: only what needs it fails, with that reason.
 */
export function withTools<
  T extends Pick<ReconcilerConfig, 'helmPath' | 'kustomizePath'> & {
    readonly policies?: ReconcilerConfig['policies'];
  },
>(command: string, cfg: T, withOpa = true): T {
  return {
    ...cfg,
    helmPath: optionalTool(command, 'helmPath', cfg.helmPath),
    kustomizePath: optionalTool(command, 'kustomizePath', cfg.kustomizePath),
    ...(cfg.policies && withOpa
      ? {
          policies: {
            ...cfg.policies,
            opaPath: optionalTool(command, 'policies.opaPath', cfg.policies.opaPath),
          },
        }
      : {}),
  };
}
