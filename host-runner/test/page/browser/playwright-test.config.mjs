/**
 * playwright-test's configuration for the page tests (host-runner/test/page/*.test.ts) in
 * Chromium, with mocha as the runner in the page:
 *
 *   npx playwright-test 'host-runner/test/page/*.test.ts' --runner mocha --no-bail \
 *     --config host-runner/test/page/browser/playwright-test.config.mjs
 *
 * (`npm run test:browser`; host-runner/test/browser-units.test.ts runs it in `npm test`).
 *
 * No browser download. playwright-test installs "chromium-headless-shell" through its own
 * playwright-core before every launch, and has no option to skip that; the install returns at
 * once when the browser's INSTALLATION_COMPLETE marker exists under PLAYWRIGHT_BROWSERS_PATH.
 * So this file writes that marker (for the revision the pinned playwright-core names) into a
 * directory of ours, and launches the system Chromium ($FFS_LAB_CHROMIUM, else Debian's
 * /usr/bin/chromium) through browserContextOptions.executablePath (which reaches
 * launchPersistentContext; do not pass --incognito, which drops it). The pin is tested.
 *
 * The browser build: `node:test` and `node:assert/strict` become page versions (node-test.ts,
 * assert-strict.ts); `node:zlib` and the `Buffer` global become the page bundle's stand-ins
 * (crc32.ts, browser-buffer.ts), as in the WebUSB page; any other node import fails the build.
 * FFS_LAB_BROKEN_STAND_IN=crc32|buffer swaps in a deliberately broken stand-in instead.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { headlessShellMarkerDir } from './headless-shell-marker.mjs';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..', '..', '..');
const WEBUSB = path.join(REPO, 'host-runner', 'src', 'webusb');

/** The compiled project modules this reuses (npm run build, which npm ci runs, makes them). */
function fromDist(file) {
  const compiled = path.join(REPO, 'host-runner', 'dist', 'src', 'webusb', file);
  if (!fs.existsSync(compiled)) throw new Error(`playwright-test: ${compiled} is missing (npm run build)`);
  return require(compiled);
}
// Where Chromium is found, and the page bundle's own node stand-ins (zlib -> crc32.ts, any other
// node: import an error): the same as for the WebUSB page, not a copy of them.
const { chromiumExecutable, CHROMIUM_CANDIDATES } = fromDist('chromium-prerequisites.js');
const { browserStandIns } = fromDist('browser-bundle.js');

process.env.PLAYWRIGHT_BROWSERS_PATH ||= path.join(os.tmpdir(), 'ffs-lab-playwright-test-browsers');
// The registry also removes browser directories no package refers to: nothing of ours to remove.
process.env.PLAYWRIGHT_SKIP_BROWSER_GC = '1';
const marker = headlessShellMarkerDir(process.env.PLAYWRIGHT_BROWSERS_PATH);
fs.mkdirSync(marker, { recursive: true });
fs.writeFileSync(path.join(marker, 'INSTALLATION_COMPLETE'), '');

const chromium = chromiumExecutable();
if (!chromium) throw new Error(`playwright-test: no Chromium (none of ${CHROMIUM_CANDIDATES.join(', ')}; apt-get install -y chromium, or set FFS_LAB_CHROMIUM)`);

const broken = process.env.FFS_LAB_BROKEN_STAND_IN ?? '';
if (!['', 'crc32', 'buffer'].includes(broken)) throw new Error(`FFS_LAB_BROKEN_STAND_IN=${broken}: crc32 or buffer`);

/** node:test and node:assert/strict for the page (and the broken crc32 when asked); browserStandIns does the rest. */
const pageModules = {
  name: 'ffs-lab-page-tests',
  setup(build) {
    build.onResolve({ filter: /^node:test$/ }, () => ({ path: path.join(HERE, 'node-test.ts') }));
    build.onResolve({ filter: /^node:assert\/strict$/ }, () => ({ path: path.join(HERE, 'assert-strict.ts') }));
    if (broken === 'crc32') build.onResolve({ filter: /^(node:)?zlib$/ }, () => ({ path: path.join(HERE, 'broken-crc32.ts') }));
  },
};

export default {
  browserContextOptions: {
    executablePath: chromium,
    // Chromium refuses its sandbox as root (CI and the lab VM run as root).
    ...(process.getuid?.() === 0 ? { chromiumSandbox: false, args: ['--no-sandbox', '--disable-gpu'] } : {}),
  },
  buildConfig: {
    // Workspace packages from their TypeScript, like the host-runner sources beside them.
    conditions: ['source'],
    inject: [broken === 'buffer' ? path.join(HERE, 'broken-buffer.ts') : path.join(WEBUSB, 'browser-buffer.ts')],
    // Order matters: esbuild asks the plugins in turn, and the first to resolve an import wins.
    plugins: [pageModules, browserStandIns],
  },
};
