import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';
import { BuildLock } from '@ffs-lab/host-util/build-lock';
import { firstUntrusted } from '../util/trusted-dir';
import { commandOutput, runCommand } from '@ffs-lab/host-util/exec';
import { ensurePackages, type Requirement } from '@ffs-lab/host-util/prerequisites';
import { compilerFor, type CpuArch } from '@ffs-lab/host-util/cpu-arch';

/** The repository root (this file is host-runner/dist/src/bench/c-pair.js). */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
/** Sources of the C reference pair. */
export const C_PAIR_SOURCES = path.join(REPO_ROOT, 'bench', 'src');

/** Bump when the recipe below changes in a way the sources' hash does not show. */
const RECIPE_VERSION = 1;
/** gcc flags of every C-pair program. */
export const C_PAIR_CFLAGS: readonly string[] = ['-O2', '-Wall', '-Wextra', '-g', '-D_GNU_SOURCE'];
const COMMON = ['bench-spec.c', 'bench-result.c', 'stream-tally.c', 'pattern.c'];
/** Each program: its main source, the shared sources it links, and its libraries. */
const PROGRAMS: Record<'gadget' | 'host' | 'patternDump', { out: string; sources: string[]; libs: string[] }> = {
  gadget: { out: 'ffs-bench-gadget', sources: ['ffs-bench-gadget.c', 'gadget-stream.c', ...COMMON], libs: ['-lz'] },
  host: { out: 'ffs-bench-host', sources: ['ffs-bench-host.c', ...COMMON], libs: ['-lusb-1.0', '-lz'] },
  patternDump: { out: 'pattern-dump', sources: ['pattern-dump.c', 'pattern.c'], libs: [] },
};

/** What building the C pair needs on the machine that builds it. */
export const C_PAIR_REQUIREMENTS: readonly Requirement[] = [
  { needs: 'gcc', pkg: 'gcc' },
  { needs: '/usr/include/libusb-1.0/libusb.h', pkg: 'libusb-1.0-0-dev' },
  { needs: '/usr/include/zlib.h', pkg: 'zlib1g-dev' },
];

/**
 * A machine of another architecture to build the pair for (the arm64 lab's guest): Debian's
 * cross gcc compiles against a root file system of that machine's packages, which holds its libc,
 * libusb and zlib development files.
 */
export interface CPairTarget {
  arch: CpuArch;
  /** The root to compile and link against (gcc --sysroot). */
  sysroot: string;
  /** What identifies the root's contents (its cache key): part of the pair's key. */
  sysrootKey: string;
}

/** The gcc that builds for `target` (this machine's own when absent). */
function compilerOf(target?: CPairTarget): string {
  return target ? compilerFor(target.arch).needs : 'gcc';
}

/** What building for `target` needs here: the cross gcc (the target's root has the rest). */
function requirementsOf(target?: CPairTarget): readonly Requirement[] {
  return target ? [compilerFor(target.arch)] : C_PAIR_REQUIREMENTS;
}

/** The built C reference pair. */
export interface CPair {
  /** Content hash of the sources, flags and compiler (the cache key). */
  key: string;
  dir: string;
  /** ffs-bench-gadget: the FunctionFS side, run on the gadget. */
  gadget: string;
  /** ffs-bench-host: the libusb side, run on the USB host. */
  host: string;
  /** pattern-dump: the C pattern on its own, for the unit test against the TypeScript one. */
  patternDump: string;
  /** True when found already built. */
  reused: boolean;
}

/**
 * The cache key of the current sources with this machine's gcc, or for `target` with its cross
 * gcc and root (then prefixed with the architecture, as the lab tools' keys are).
 */
export async function cPairKey(target?: CPairTarget): Promise<string> {
  const h = crypto.createHash('sha256');
  const gcc = await commandOutput(compilerOf(target), ['-dumpfullversion']);
  h.update(JSON.stringify({ recipe: RECIPE_VERSION, cflags: C_PAIR_CFLAGS, programs: PROGRAMS, gcc, ...(target ? { arch: target.arch, sysroot: target.sysrootKey } : {}) }));
  for (const f of fs.readdirSync(C_PAIR_SOURCES).filter((n) => /\.[ch]$/.test(n)).sort()) {
    h.update(`\0${f}\0`).update(fs.readFileSync(path.join(C_PAIR_SOURCES, f)));
  }
  const key = h.digest('hex').slice(0, 16);
  return target ? `${target.arch}-${key}` : key;
}

function pairIn(dir: string, key: string, reused: boolean): CPair {
  return {
    key,
    dir,
    gadget: path.join(dir, PROGRAMS.gadget.out),
    host: path.join(dir, PROGRAMS.host.out),
    patternDump: path.join(dir, PROGRAMS.patternDump.out),
    reused,
  };
}

/** Where the pair with `key` lives under a cache root. */
export function cPairDir(root: string, key: string): string {
  return path.join(root, 'bench', key);
}

/** The directories from a cache root down to the pair's: each must be trusted before the pair is. */
function chainOf(root: string, key: string): string[] {
  const dir = cPairDir(root, key);
  return [root, path.dirname(dir), dir];
}

/**
 * The pair already built for the current sources under one of `roots` (e.g. the host's cache,
 * seen read-only from the lab VM), or undefined. A pair in a directory that is a symbolic link,
 * or that someone other than this user or root owns or may write, is not used (it runs as root).
 */
export async function findCPair(roots: readonly string[]): Promise<CPair | undefined> {
  const key = await cPairKey();
  for (const root of roots) {
    const dir = cPairDir(root, key);
    if (!firstUntrusted(chainOf(root, key)) && fs.existsSync(path.join(dir, 'manifest.json'))) return pairIn(dir, key, true);
  }
  return undefined;
}

/**
 * Build the C pair with gcc (or reuse it) under `<root>/bench/<key>`; `root` defaults to the
 * cache (cacheRoot()). A cache that cannot be written (the lab VM's) gives way to a fresh private
 * directory (mkdtemp: mode 0700, ours), removed at exit: never a fixed path under the temp dir,
 * which anyone could have prepared. In the cache, a pair directory (or a parent up to `root`)
 * that is a symbolic link, or that another user owns or may write, is refused (exit 3). Missing
 * Debian packages are installed when root, else a usage error names them. With `target`, the
 * pair is cross-built for that machine (see {@link CPairTarget}).
 */
export async function ensureCPair(log: (line: string) => void, root = cacheRoot(), target?: CPairTarget): Promise<CPair> {
  const key = await cPairKey(target);
  const what = target ? `the C reference pair (${target.arch})` : 'the C reference pair';
  const dir = cPairDir(root, key);
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.accessSync(path.dirname(dir), fs.constants.W_OK);
  } catch {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-bench-'));
    process.once('exit', () => fs.rmSync(own, { recursive: true, force: true }));
    await ensurePackages(requirementsOf(target), `${what} of the benchmark`, log);
    log(`bench: building ${what} (key ${key}) in ${own} (the cache ${root} is read-only)`);
    await build(own, key, log, target);
    return pairIn(own, key, false);
  }
  const check = (dirs: string[]) => {
    const bad = firstUntrusted(dirs);
    if (bad) throw infraError(`${bad.dir} ${bad.problem}: the C reference pair runs as root, so it is built and run only in directories nobody else can change`, `remove ${bad.dir}, or make it this user's and not group/other-writable`);
  };
  const exists = () => fs.existsSync(path.join(dir, 'manifest.json'));
  check([root, path.dirname(dir)]);
  if (isThere(dir)) {
    check([dir]);
    if (exists()) return pairIn(dir, key, true);
  }
  await ensurePackages(requirementsOf(target), `${what} of the benchmark`, log);
  const lock = new BuildLock(`${dir}.lock`);
  await lock.acquire((pid) => log(`bench: waiting for ${pid === undefined ? 'another process' : `process ${pid}`}, which is building the same C pair`));
  try {
    if (isThere(dir)) {
      check([dir]);
      if (exists()) return pairIn(dir, key, true);
    }
    log(`bench: building ${what} (key ${key}) in ${dir}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { mode: 0o755 });
    await build(dir, key, log, target);
    return pairIn(dir, key, false);
  } finally {
    lock.release();
  }
}

/** Does anything (a symbolic link included) exist at `p`? */
function isThere(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Compile every program into `dir` (which exists and is ours), then write the manifest. */
async function build(dir: string, key: string, log: (line: string) => void, target?: CPairTarget): Promise<void> {
  if (target && !fs.existsSync(path.join(target.sysroot, 'usr', 'include', 'libusb-1.0', 'libusb.h'))) {
    throw infraError(`${target.sysroot} has no libusb-1.0 headers: the ${target.arch} C pair is built against that root`, 'the root must include libc6-dev, libusb-1.0-0-dev and zlib1g-dev');
  }
  const sysroot = target ? [`--sysroot=${target.sysroot}`] : [];
  for (const p of Object.values(PROGRAMS)) {
    const r = await runCommand(compilerOf(target), [...C_PAIR_CFLAGS, ...sysroot, '-o', path.join(dir, p.out), ...p.sources, ...p.libs], { cwd: C_PAIR_SOURCES });
    if (r.code !== 0) throw infraError(`building ${p.out} failed: ${r.tail.find((l) => /error/.test(l)) ?? r.tail.slice(-1)[0]}`);
    const warning = r.tail.find((l) => /warning:/.test(l));
    if (warning) log(`bench: ${p.out}: ${warning}`);
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ key, programs: Object.values(PROGRAMS).map((p) => p.out) }, null, 2) + '\n');
}
