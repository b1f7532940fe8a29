// The release's CycloneDX SBOM: npm's (the package and its production dependencies) plus what
// the image carries beside them: the pinned Node.js runtime, opa, kustomize and helm. npm names
// the root component after the folder it ran in: the package's own name is put back.
//   node sbom.mjs npm.cdx.json tools/versions.env package.json > driftgate-<version>.cdx.json
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [sbomFile, versionsFile, packageFile] = process.argv.slice(2);
const sbom = JSON.parse(readFileSync(sbomFile, 'utf8'));
const pkg = JSON.parse(readFileSync(packageFile, 'utf8'));
sbom.metadata.component.name = pkg.name;
sbom.metadata.component.type = 'application';
const pins = Object.fromEntries(
  readFileSync(versionsFile, 'utf8')
    .split('\n')
    .map((l) => /^([A-Z_]+)=(\S+)$/.exec(l.trim()))
    .filter(Boolean)
    .map((m) => [m[1], m[2]]),
);
const inImage = [
  ['node', pins.NODE_VERSION, `pkg:generic/nodejs@${pins.NODE_VERSION}`, 'MIT'],
  [
    'opa',
    pins.OPA_VERSION,
    `pkg:golang/github.com/open-policy-agent/opa@${pins.OPA_VERSION}`,
    'Apache-2.0',
  ],
  [
    'kustomize',
    pins.KUSTOMIZE_VERSION,
    `pkg:golang/sigs.k8s.io/kustomize/kustomize/v5@${pins.KUSTOMIZE_VERSION}`,
    'Apache-2.0',
  ],
  ['helm', pins.HELM_VERSION, `pkg:golang/helm.sh/helm/v3@${pins.HELM_VERSION}`, 'Apache-2.0'],
];
for (const [name, version, purl, license] of inImage) {
  if (!version) throw new Error(`${versionsFile} pins no version of ${name}`);
  sbom.components.push({
    type: 'application',
    'bom-ref': purl,
    name,
    version,
    purl,
    licenses: [{ license: { id: license } }],
    description: 'in the driftgate image',
  });
}
process.stdout.write(`${JSON.stringify(sbom, null, 2)}\n`);
