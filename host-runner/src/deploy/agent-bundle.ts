import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { commandOutput, runCommand } from '@ffs-lab/host-util/exec';
import { ensurePackages } from '@ffs-lab/host-util/prerequisites';
import { compilerFor, CPU_ARCHES, CPU_ARCH_SPECS, type CpuArch } from '@ffs-lab/host-util/cpu-arch';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';

/** The repository root (this file is host-runner/dist/src/deploy/agent-bundle.js). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The architectures a bundle is built for: every one of host-util's cpu-arch.ts. */
export const BUNDLE_ARCHES = CPU_ARCHES;
export type BundleArch = CpuArch;


/** Oldest Node.js the agent runs on: the bundle is compiled for 18, and fs.statfs came in 18.15. */
export const MIN_NODE: readonly [number, number] = [18, 15];

/** The files of a bundle: the agent, the two modules it starts by path, the addon, the manifest. */
export const BUNDLE_FILES = ['ffs-lab-agent.js', 'mmap-race-child.js', 'bindings.js', 'ffs_native.node', 'manifest.json'] as const;

/** What `manifest.json` of a bundle says. */
export interface BundleManifest {
  name: 'ffs-lab-agent';
  version: string;
  arch: BundleArch;
  /** Node.js versions the bundle runs on (N-API 8, the JavaScript it is compiled to, the APIs it calls): `>=18.15`. */
  node: string;
  /** File name to size (bytes) and SHA-256. */
  files: Record<string, BundleFileEntry>;
}

/** One file of a bundle as its manifest lists it. */
export interface BundleFileEntry {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/** The manifest entry for a file's content (what pack-agent writes, and deploy checks against). */
export function bundleFileEntry(data: Buffer): BundleFileEntry {
  return { bytes: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
}

/**
 * The addon for `arch`, compiled against node-api-headers (N-API is ABI-stable: one build serves
 * every Node.js from 18 on) with Debian's compiler for that architecture, into `out`. zlib is not
 * linked: its symbols come from the node process, which has zlib in it on every distribution.
 * Every symbol is bound at load (-z now), so a process that lacks one refuses the addon at once.
 * Kept in the cache (`addons/`) by a hash of the compiler version, flags, sources and headers.
 */
export async function buildAddon(arch: BundleArch, out: string, log: (line: string) => void = () => undefined): Promise<void> {
  const cxx = compilerFor(arch, 'g++');
  await ensurePackages([cxx], `pack-agent (${arch})`, log);
  const src = path.join(REPO_ROOT, 'native', 'src');
  const sources = fs.readdirSync(src).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join(src, f));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-addon-api publishes its include path from CommonJS only
  const addonApi = require('node-addon-api') as { include_dir: string };
  // The addon drives libuv (handles on the agent's loop), whose ABI is stable across 1.x: its headers come with node's.
  const nodeInclude = path.resolve(process.execPath, '..', '..', 'include', 'node');
  if (!fs.existsSync(path.join(nodeInclude, 'uv.h'))) throw usageError(`pack-agent: no libuv headers at ${nodeInclude}/uv.h (they come with Node.js's headers)`);
  const includes = [path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include'), addonApi.include_dir, nodeInclude];
  const flags = ['-shared', '-fPIC', '-std=c++17', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS', '-DBUILDING_NODE_EXTENSION', ...includes.map((i) => `-I${i}`)];
  // A lab run on a foreign guest packs an addon every time: the same inputs reuse the last build.
  const cxxVersion = (await commandOutput(cxx.needs, ['-dumpfullversion'])) ?? '';
  // Flags name include dirs in this checkout: the key keeps them relative to it.
  const h = crypto.createHash('sha256').update(JSON.stringify({ arch, cxxVersion, flags }).split(REPO_ROOT).join('<repo>'));
  // Each source as the compiler sees it (every header it includes: ours, node's and libuv's, libc's
  // and the kernel's uapi), without line markers, so the checkout's path is not in the key.
  // A source that does not preprocess gets a key nothing matches; the compile below names its error.
  for (const f of sources) h.update(`\0${path.basename(f)}\0`).update((await commandOutput(cxx.needs, [...flags, '-E', '-P', f])) ?? crypto.randomUUID());
  const cached = path.join(cacheRoot(), 'addons', `${arch}-${h.digest('hex').slice(0, 16)}.node`);
  if (fs.existsSync(cached)) {
    log(`pack-agent: the addon for ${arch} reused from the cache (${cached})`);
    fs.copyFileSync(cached, out);
    return;
  }
  log(`pack-agent: compiling the addon for ${arch} with ${cxx.needs} ${cxxVersion}`);
  const r = await runCommand(cxx.needs, [...flags, '-o', out, ...sources, '-lpthread', '-Wl,-z,now']);
  if (r.code !== 0) throw infraError(`pack-agent: ${cxx.needs} failed (exit ${r.code ?? r.signal}): ${r.tail.slice(-5).join(' | ')}`);
  checkElf(out, arch);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  fs.copyFileSync(out, tmp);
  fs.renameSync(tmp, cached);
}

/** Refuse an addon that is not a shared object for `arch` (a wrong compiler would give one). */
export function checkElf(file: string, arch: BundleArch): void {
  const h = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, h, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  const tc = CPU_ARCH_SPECS[arch];
  const ok = h.readUInt32BE(0) === 0x7f454c46 && h[4] === tc.elfClass && h.readUInt16LE(16) === 3 && h.readUInt16LE(18) === tc.elfMachine;
  if (!ok) throw infraError(`pack-agent: ${file} is not a ${arch} shared object (ELF class ${h[4]}, type ${h.readUInt16LE(16)}, machine ${h.readUInt16LE(18)})`);
}

/**
 * Build the agent bundle for `arch` into `dir` (created; must not exist or be empty): the agent
 * and its helpers as single JavaScript files that need no node_modules, the addon, and a
 * manifest with every file's size and SHA-256. Returns the manifest.
 */
export async function packAgent(arch: BundleArch, dir: string, log: (line: string) => void = () => undefined): Promise<BundleManifest> {
  if (!(BUNDLE_ARCHES as readonly string[]).includes(arch)) throw usageError(`pack-agent: unknown architecture '${arch}' (one of ${BUNDLE_ARCHES.join(', ')})`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw usageError(`pack-agent: ${dir} is not empty`, 'give a new directory: the bundle is exactly the files pack-agent writes');
  fs.mkdirSync(dir, { recursive: true });
  try {
    return await writeBundle(arch, dir, log);
  } catch (e) {
    // The directory was new or empty: leave it so, and the same command can run again.
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    throw e;
  }
}

async function writeBundle(arch: BundleArch, dir: string, log: (line: string) => void): Promise<BundleManifest> {
  const esbuild = await import('esbuild');
  const agentSrc = path.join(REPO_ROOT, 'gadget-agent', 'src');
  const common = { bundle: true, platform: 'node' as const, target: `node${MIN_NODE[0]}`, format: 'cjs' as const, legalComments: 'none' as const, logLevel: 'warning' as const, conditions: ['source'] };
  log(`pack-agent: bundling the agent for Node ${MIN_NODE.join('.')}+ into ${dir}`);
  await esbuild.build({
    ...common,
    // agent-main starts the agent when it is the main module, as the bundle is.
    entryPoints: [path.join(agentSrc, 'session', 'agent-main.ts')],
    banner: { js: '#!/usr/bin/env node\n// ffs-lab gadget agent: JSON-line requests on stdin, replies on stdout (contract/src/protocol.ts).' },
    outfile: path.join(dir, 'ffs-lab-agent.js'),
  });
  await esbuild.build({ ...common, entryPoints: [path.join(agentSrc, 'probes', 'mmap-race-child.ts')], outfile: path.join(dir, 'mmap-race-child.js') });
  await esbuild.build({ ...common, entryPoints: [path.join(REPO_ROOT, 'native', 'lib', 'bindings.ts')], outfile: path.join(dir, 'bindings.js') });
  fs.chmodSync(path.join(dir, 'ffs-lab-agent.js'), 0o755);
  await buildAddon(arch, path.join(dir, 'ffs_native.node'), log);
  const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'gadget-agent', 'package.json'), 'utf8')) as { version: string }).version;
  const files: BundleManifest['files'] = {};
  for (const f of BUNDLE_FILES.filter((n) => n !== 'manifest.json')) {
    const data = fs.readFileSync(path.join(dir, f));
    files[f] = bundleFileEntry(data);
  }
  const manifest: BundleManifest = { name: 'ffs-lab-agent', version, arch, node: `>=${MIN_NODE.join('.')}`, files };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
