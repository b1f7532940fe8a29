// Debian's Chromium (scripts/tools.sh installs the package) driven by playwright-core, found on
// PATH as a user has it. Headless, with the network features this closed machine refuses off.
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** `chromium` on PATH. Throws when it is not installed (npm run tools installs it). */
export function chromiumPath(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, 'chromium');
    if (existsSync(p)) return p;
  }
  throw new Error('no chromium on PATH: run npm run tools (Debian package chromium)');
}

/** A headless Chromium (playwright gives it a fresh profile of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where tests keep screenshots (gitignored): test-artifacts/<name>. */
export function artifactPath(name: string): string {
  const dir = new URL('../../test-artifacts/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
