/**
 * Where playwright-core's registry looks for the "chromium-headless-shell" that playwright-test
 * installs before every launch: `<PLAYWRIGHT_BROWSERS_PATH>/chromium_headless_shell-<revision>`,
 * whose INSTALLATION_COMPLETE file makes the install return without a download. The revision is
 * the one the playwright-core under playwright-test names (a nested copy: it pins its own).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The marker directory under `browsersPath`; throws when the pinned package no longer fits. */
export function headlessShellMarkerDir(browsersPath) {
  const pwtDir = path.dirname(require.resolve('playwright-test/package.json'));
  const coreDir = path.dirname(require.resolve('playwright-core/package.json', { paths: [pwtDir] }));
  const { browsers } = JSON.parse(fs.readFileSync(path.join(coreDir, 'browsers.json'), 'utf8'));
  const shell = browsers.find((b) => b.name === 'chromium-headless-shell');
  if (!shell) throw new Error(`playwright-test: ${coreDir}/browsers.json names no chromium-headless-shell; the pinned playwright-test changed`);
  if (shell.revisionOverrides && Object.keys(shell.revisionOverrides).length) {
    throw new Error(`playwright-test: ${coreDir}/browsers.json has per-platform revisions for chromium-headless-shell; the marker would not be found`);
  }
  return path.join(browsersPath, `chromium_headless_shell-${shell.revision}`);
}
