/**
 * Build step (`npm run build`, after tsc): bundle the page script (browser-entry.ts with the
 * stream module, the pattern oracle, stream-layout, StreamTally and the transfer pipeline) into
 * one browser script with esbuild, a devDependency used only here. The oracle's node globals get
 * browser stand-ins: `Buffer` -> browser-buffer.ts, `node:zlib` -> contract/src/crc32.ts; any other node
 * import fails the build, so the page can never depend on node by accident.
 */
import * as path from 'node:path';
import type { Plugin } from 'esbuild';
import { PAGE_BUNDLE_FILE } from './webusb-page';

/** The TypeScript sources of this directory (this file runs from host-runner/dist/src/webusb/). */
const SRC = path.resolve(__dirname, '..', '..', '..', '..', 'host-runner', 'src', 'webusb');
/** The table-driven CRC-32 the page takes for `node:zlib`'s (contract/src/crc32.ts). */
const CRC32_SOURCE = path.resolve(__dirname, '..', '..', '..', '..', 'contract', 'src', 'crc32.ts');

/** `node:zlib` (or `zlib`) -> contract/src/crc32.ts; every other node builtin is an error naming the importer. */
export const browserStandIns: Plugin = {
  name: 'ffs-lab-browser-stand-ins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?zlib$/ }, () => ({ path: CRC32_SOURCE }));
    build.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} has no browser stand-in (imported by ${path.relative(SRC, a.importer)})` }] }));
  },
};

/** Write the page bundle to `outfile`. */
export async function buildPageBundle(outfile = PAGE_BUNDLE_FILE): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(SRC, 'browser-entry.ts')],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    inject: [path.join(SRC, 'browser-buffer.ts')],
    plugins: [browserStandIns],
    // Workspace packages (the contract) from their TypeScript, like this directory's sources.
    conditions: ['source'],
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (require.main === module) {
  buildPageBundle().catch((err: Error) => {
    console.error(`webusb: the page bundle failed: ${err.message}`);
    process.exit(1);
  });
}
