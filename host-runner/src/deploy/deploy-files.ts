import * as fs from 'node:fs';
import * as path from 'node:path';

/** One file to put on the target. */
export interface DeployFile {
  /** Path relative to the install dir, `/`-separated. */
  rel: string;
  content: Buffer;
  /** Permission bits (executables keep their x bits). */
  mode: number;
}

/** Top-level directories the agent needs; native/ (the addon's sources) may not exist yet. */
const TREES = ['bin', 'dist', 'native'];
/** Build outputs and caches never uploaded: the target builds its own (it is often arm64). */
const SKIP_DIRS = new Set(['build', 'node_modules', '.git', 'prebuilds']);
const SKIP_FILES = /\.(node|o|a|so)$/;
/** The only lifecycle scripts that run on the target: those that build native code. */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

/**
 * What `ffs-lab deploy` uploads from a checkout: package.json (install scripts only),
 * package-lock.json, bin/, dist/, and native/ without build outputs. Throws when the checkout is
 * not built (no dist/).
 */
export function deployFiles(repo: string): DeployFile[] {
  if (!fs.existsSync(path.join(repo, 'dist'))) throw new Error(`${repo} is not built (no dist/): run npm run build first`);
  const files: DeployFile[] = [
    { rel: 'package.json', content: Buffer.from(deployPackageJson(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'))), mode: 0o644 },
    { rel: 'package-lock.json', content: fs.readFileSync(path.join(repo, 'package-lock.json')), mode: 0o644 },
  ];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(repo, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(r);
      } else if (e.isFile() && !SKIP_FILES.test(e.name)) {
        const abs = path.join(repo, r);
        files.push({ rel: r, content: fs.readFileSync(abs), mode: fs.statSync(abs).mode & 0o777 });
      }
    }
  };
  for (const t of TREES) if (fs.existsSync(path.join(repo, t))) walk(t);
  return files;
}

/**
 * package.json as deployed: the same dependencies (so `npm ci` accepts the lock file), but only
 * the install scripts. `prepare` would rebuild dist/ with TypeScript, which `--omit=dev` does not
 * install, and would delete the dist/ we uploaded.
 */
export function deployPackageJson(text: string): string {
  const pkg = JSON.parse(text) as { scripts?: Record<string, string> };
  const scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).filter(([k]) => INSTALL_SCRIPTS.includes(k)));
  return `${JSON.stringify({ ...pkg, scripts }, null, 2)}\n`;
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
