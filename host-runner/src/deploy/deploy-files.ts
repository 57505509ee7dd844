import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { BUNDLE_ARCHES, BUNDLE_FILES, bundleFileEntry, type BundleManifest } from './agent-bundle';

/** One file to put on the target. */
export interface DeployFile {
  /** Path relative to the install dir, `/`-separated. */
  rel: string;
  content: Buffer;
  /** Permission bits (the agent keeps its x bits). */
  mode: number;
}

/**
 * What `ffs-lab deploy` uploads: the files of an agent bundle (ffs-lab pack-agent) into the
 * install dir's bin/, where the runner starts `bin/ffs-lab-agent.js`. Refuses (exit 2) a
 * directory that is not a bundle, or one whose files do not match its manifest.
 */
export function bundleDeployFiles(bundleDir: string): { manifest: BundleManifest; files: DeployFile[] } {
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(bundleDir, f));
    } catch (e) {
      throw usageError(`${bundleDir} is not an agent bundle: ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'make one with ffs-lab pack-agent --arch ARCH --out DIR');
    }
  };
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(read('manifest.json').toString('utf8')) as BundleManifest;
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode !== undefined) throw e;
    throw usageError(`${bundleDir}/manifest.json is not JSON: ${(e as Error).message}`);
  }
  const m = manifest as Partial<BundleManifest> | null;
  if (!m || typeof m !== 'object' || m.name !== 'ffs-lab-agent' || !(BUNDLE_ARCHES as readonly string[]).includes(m.arch ?? '') || !m.files || typeof m.files !== 'object') {
    throw usageError(`${bundleDir}/manifest.json is not an ffs-lab agent bundle's`, 'make one with ffs-lab pack-agent --arch ARCH --out DIR');
  }
  const files = BUNDLE_FILES.map((f) => ({ rel: `bin/${f}`, content: read(f), mode: f === 'ffs-lab-agent.js' ? 0o755 : 0o644 }));
  for (const f of files) {
    const name = path.posix.basename(f.rel);
    // The manifest cannot list its own digest.
    if (name === 'manifest.json') continue;
    const want = manifest.files[name];
    const have = bundleFileEntry(f.content);
    if (!want || want.bytes !== have.bytes || want.sha256 !== have.sha256) {
      throw usageError(`${bundleDir}/${name} does not match the bundle's manifest: pack it again`);
    }
  }
  return { manifest, files };
}

/** Every directory the files need, parents first. */
export function directoriesOf(files: readonly DeployFile[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}
