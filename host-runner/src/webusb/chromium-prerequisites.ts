/**
 * What the Chromium host needs on this machine, and the skip reason when something is missing:
 * the `playwright-core` package (a dependency; it never downloads a browser here) and a Chromium
 * executable (Debian's `chromium` package, or $FFS_LAB_CHROMIUM).
 */
import * as fs from 'node:fs';
import { PAGE_BUNDLE_FILE } from './webusb-page';

/** Where Chromium is looked for when $FFS_LAB_CHROMIUM is unset: Debian's launcher, then its binary. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'];

/** The Chromium executable to drive: $FFS_LAB_CHROMIUM when set, else the first candidate present. */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = fs.existsSync): string | undefined {
  if (env.FFS_LAB_CHROMIUM) return env.FFS_LAB_CHROMIUM;
  return CHROMIUM_CANDIDATES.find((p) => exists(p));
}

/** Is `playwright-core` installed (resolvable from here)? */
export function hasPlaywrightCore(resolve: (id: string) => string = require.resolve): boolean {
  try {
    resolve('playwright-core');
    return true;
  } catch {
    return false;
  }
}

/** Why the Chromium host cannot run here, or undefined when it can. */
export function chromiumMissingReason(
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = fs.existsSync,
  resolve: (id: string) => string = require.resolve,
): string | undefined {
  const missing: string[] = [];
  if (!hasPlaywrightCore(resolve)) missing.push('the npm package playwright-core is not installed (npm install)');
  const exe = chromiumExecutable(env, exists);
  if (!exe) missing.push(`Chromium is not installed (none of ${CHROMIUM_CANDIDATES.join(', ')}; Debian: apt-get install -y chromium, or set FFS_LAB_CHROMIUM)`);
  else if (!exists(exe)) missing.push(`FFS_LAB_CHROMIUM=${exe} does not exist`);
  if (!exists(PAGE_BUNDLE_FILE)) missing.push(`the WebUSB page bundle ${PAGE_BUNDLE_FILE} is missing (npm run build)`);
  return missing.length ? `WebUSB in Chromium: ${missing.join('; ')}` : undefined;
}
