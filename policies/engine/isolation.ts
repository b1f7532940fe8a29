/** The package a Rego text declares, or undefined. */
export const regoPackage = (text: string): string | undefined =>
  /^\s*package\s+([\w.]+)/m.exec(text)?.[1];

/**
 * Why the policy files of sources may not go live beside the platform's: a source may add policies
 * but never weaken the platform's or another source's. Each source's Rego must declare packages
 * under `driftgate.` that no built-in file and no other source declares (adding a rule to a
 * package changes what its rules mean), and no source file may sit at a path already taken.
 * Returns every problem; empty when the layers are isolated.
 */
export function isolationProblems(
  builtin: Readonly<Record<string, string>>,
  sources: ReadonlyMap<string, Readonly<Record<string, string>>>,
): string[] {
  const problems: string[] = [];
  const pathOwner = new Map<string, string>(Object.keys(builtin).map((p) => [p, 'the platform']));
  const packageOwner = new Map<string, string>();
  for (const [path, text] of Object.entries(builtin)) {
    const pkg = path.endsWith('.rego') ? regoPackage(text) : undefined;
    if (pkg) packageOwner.set(pkg, 'the platform');
  }
  for (const [source, files] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [path, text] of Object.entries(files)) {
      const owner = pathOwner.get(path);
      if (owner) problems.push(`source ${source}: ${path} is already a policy file of ${owner}`);
      pathOwner.set(path, `source ${source}`);
      if (!path.endsWith('.rego')) continue;
      const pkg = regoPackage(text);
      if (!pkg?.startsWith('driftgate.')) {
        problems.push(`source ${source}: ${path} must declare a package under driftgate.`);
        continue;
      }
      const taken = packageOwner.get(pkg);
      if (taken && taken !== `source ${source}`)
        problems.push(
          `source ${source}: ${path} declares package ${pkg}, which belongs to ${taken}`,
        );
      packageOwner.set(pkg, taken ?? `source ${source}`);
    }
  }
  return problems;
}
