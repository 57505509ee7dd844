/**
 * Chromium's WebUsbAllowDevicesForUrls enterprise policy: the one way to let a page open a USB
 * device without the chooser prompt (no automation API exists for it). Chromium on Linux reads
 * every `*.json` in /etc/chromium/policies/managed/ at start; the policy's URLs are origins and
 * match scheme, host and port exactly. This module makes the policy and puts it in place for one
 * run, then takes it away again:
 * - a writable policy directory (root on an ordinary host): our file is written and removed;
 * - a read-only one (the lab VM, whose root is the host's, read-only): a tmpfs is mounted over the
 *   deepest existing directory of the path, with that directory's files copied in, and unmounted
 *   afterwards;
 * - a policy file already there that grants the device (an admin installed it): used as is.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';
import { runCommand } from '@ffs-lab/host-util/exec';

/** Debian's Chromium (Google Chrome reads /etc/opt/chrome/policies/managed instead). */
export const CHROMIUM_POLICY_DIR = '/etc/chromium/policies/managed';
/** Our policy file's name in that directory. */
export const POLICY_FILE_NAME = 'ffs-lab-webusb.json';
/** The source name of the tmpfs mounted on a read-only root (it shows in /proc/mounts). */
const TMPFS_SOURCE = 'ffs-lab-policy';

/** A device the policy grants (decimal JSON numbers in the file). */
export interface PolicyDevice {
  vendorId: number;
  productId: number;
}

/** The policy document granting `devices` to `origin`. */
export function webUsbPolicy(origin: string, devices: readonly PolicyDevice[]): { WebUsbAllowDevicesForUrls: Array<{ devices: Array<{ vendor_id: number; product_id: number }>; urls: string[] }> } {
  return { WebUsbAllowDevicesForUrls: [{ devices: devices.map((d) => ({ vendor_id: d.vendorId, product_id: d.productId })), urls: [origin] }] };
}

/**
 * Does a policy document grant `device` to `origin`? Mirrors Chromium's matching: the URL's
 * origin equal (scheme, host, port), a device entry with no vendor_id matching any device, one
 * with no product_id any product of that vendor.
 */
export function policyGrants(doc: unknown, origin: string, device: PolicyDevice): boolean {
  const entries = (doc as { WebUsbAllowDevicesForUrls?: unknown } | null)?.WebUsbAllowDevicesForUrls;
  if (!Array.isArray(entries)) return false;
  const want = originOf(origin);
  return entries.some((e: { devices?: unknown; urls?: unknown }) => {
    const urls = Array.isArray(e?.urls) ? (e.urls as unknown[]) : [];
    const devices = Array.isArray(e?.devices) ? (e.devices as Array<{ vendor_id?: unknown; product_id?: unknown }>) : [];
    const urlOk = urls.some((u) => typeof u === 'string' && originOf(u) === want);
    const devOk = devices.some((d) => (d.vendor_id === undefined || d.vendor_id === device.vendorId) && (d.vendor_id === undefined || d.product_id === undefined || d.product_id === device.productId));
    return urlOk && devOk;
  });
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** A policy in place: how, where, and how to take it away. */
export interface InstalledPolicy {
  how: 'file' | 'tmpfs' | 'preinstalled';
  /** The policy file Chromium reads. */
  file: string;
  /** Undo what install did (remove the file / unmount the tmpfs); safe to call twice. */
  remove(): Promise<void>;
  /** What install cleaned up that an earlier, killed run had left (one sentence each; empty when nothing). */
  leftovers: string[];
}

/** Options of {@link installChromiumPolicy}. */
export interface PolicyInstallOptions {
  /** Default {@link CHROMIUM_POLICY_DIR}. */
  dir?: string;
  /** May a tmpfs be mounted when the directory is read-only? Default: when running as root. */
  allowMount?: boolean;
  /**
   * Where install records the directories it creates, so a run killed before remove() is
   * cleaned up by the next one. Default `<cache>/state` (host-util/src/cache-dir.ts).
   */
  stateDir?: string;
}

/**
 * Put a policy granting `devices` to `origin` in place for Chromium. Throws an Error whose
 * message says why it cannot (not root on a read-only or foreign directory) and what file with
 * what content would do.
 */
export async function installChromiumPolicy(origin: string, devices: readonly PolicyDevice[], opts: PolicyInstallOptions = {}): Promise<InstalledPolicy> {
  const dir = opts.dir ?? CHROMIUM_POLICY_DIR;
  const file = path.join(dir, POLICY_FILE_NAME);
  const doc = webUsbPolicy(origin, devices);
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const record = recordFile(opts.stateDir ?? path.join(cacheRoot(), 'state'), dir);
  const leftovers = await sweepLeftovers(dir, file, record);
  const already = existingGrant(dir, origin, devices);
  if (already) return { how: 'preinstalled', file: already, remove: async () => undefined, leftovers };
  try {
    const created = mkdirsRecorded(dir, record);
    fs.writeFileSync(file, text, { mode: 0o644 });
    return {
      how: 'file',
      file,
      leftovers,
      remove: once(async () => {
        fs.rmSync(file, { force: true });
        for (const d of created.reverse()) fs.rmdirSync(d);
        fs.rmSync(record, { force: true });
      }),
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const allowMount = opts.allowMount ?? process.getuid?.() === 0;
    if (code !== 'EROFS' || !allowMount) {
      throw new Error(`cannot install the Chromium WebUSB policy (${code ?? (err as Error).message} on ${dir}): run as root, or install ${file} containing ${JSON.stringify(doc)}`, { cause: err });
    }
  }
  return mountPolicyTmpfs(dir, file, text, leftovers);
}

/** The record of what install created for `dir`: one file per policy directory, named by its hash. */
function recordFile(stateDir: string, dir: string): string {
  return path.join(stateDir, `chromium-policy-${crypto.createHash('sha256').update(dir).digest('hex').slice(0, 16)}.json`);
}

/**
 * Undo what a run killed before its remove() left behind: our policy file (its name is ours
 * alone), the directories its record lists (only while empty), and our tmpfs (by its source
 * name) on the way to `dir`. Returns one sentence per thing removed.
 */
async function sweepLeftovers(dir: string, file: string, record: string): Promise<string[]> {
  const notes: string[] = [];
  for (const mountPoint of ourMountsOnPath(readMountinfo(), dir)) {
    await unmount(mountPoint);
    notes.push(`unmounted the policy tmpfs an earlier run left on ${mountPoint}`);
  }
  if (fs.existsSync(file)) {
    fs.rmSync(file, { force: true });
    notes.push(`removed ${file}, left by an earlier run`);
  }
  let created: string[] = [];
  try {
    const r = JSON.parse(fs.readFileSync(record, 'utf8')) as { dir?: unknown; created?: unknown };
    if (r.dir === dir && Array.isArray(r.created)) created = r.created.filter((d): d is string => typeof d === 'string' && (dir === d || dir.startsWith(`${d}/`)));
  } catch {
    /* no record (the usual case), or an unreadable one: nothing of ours to take back */
  }
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
      notes.push(`removed the directory ${d}, made by an earlier run`);
    } catch {
      /* gone already, or someone else's files are in it now: leave it */
    }
  }
  fs.rmSync(record, { force: true });
  return notes;
}

function readMountinfo(): string {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

/** A file in `dir` whose policy already grants every device to `origin`, if any. */
function existingGrant(dir: string, origin: string, devices: readonly PolicyDevice[]): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json') && n !== POLICY_FILE_NAME);
  } catch {
    return undefined;
  }
  for (const n of names) {
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as unknown;
      if (devices.every((d) => policyGrants(doc, origin, d))) return path.join(dir, n);
    } catch {
      /* unreadable or not JSON: Chromium ignores it too */
    }
  }
  return undefined;
}

/**
 * mkdir -p, returning the directories it created (outermost first). They are written to
 * `record` before the first is made, so a kill between here and remove() loses nothing.
 */
function mkdirsRecorded(dir: string, record: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  if (missing.length) {
    try {
      fs.mkdirSync(path.dirname(record), { recursive: true, mode: 0o700 });
      fs.writeFileSync(record, `${JSON.stringify({ dir, created: missing })}\n`, { mode: 0o600 });
    } catch {
      /* no writable cache: the directories are still removed by remove(), just not after a kill */
    }
  }
  const made: string[] = [];
  try {
    for (const d of missing) {
      fs.mkdirSync(d);
      made.push(d);
    }
  } catch (err) {
    for (const d of made.reverse()) fs.rmdirSync(d);
    fs.rmSync(record, { force: true });
    throw err;
  }
  return missing;
}

/**
 * Read-only root (the lab VM): mount a small tmpfs over the deepest existing directory on the way
 * to `dir` (so /etc/chromium when no policy directory exists), copy that directory's files into
 * it so nothing Chromium reads there is hidden, then write the policy.
 */
async function mountPolicyTmpfs(dir: string, file: string, text: string, leftovers: string[]): Promise<InstalledPolicy> {
  let mountPoint = dir;
  while (!fs.existsSync(mountPoint)) mountPoint = path.dirname(mountPoint);
  if (mountPoint === '/' || mountPoint === '/etc') throw new Error(`cannot install the Chromium WebUSB policy: ${dir} is on a read-only file system and has no parent of its own to mount a tmpfs over (is chromium installed?)`);
  const saved = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-policy-'));
  let mounted = false;
  try {
    fs.cpSync(mountPoint, saved, { recursive: true, preserveTimestamps: true });
    const r = await runCommand('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=1m', TMPFS_SOURCE, mountPoint]);
    if (r.code !== 0) throw new Error(`cannot install the Chromium WebUSB policy: mount tmpfs on ${mountPoint} failed: ${r.tail.join(' ')}`);
    mounted = true;
    fs.cpSync(saved, mountPoint, { recursive: true, preserveTimestamps: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o644 });
  } catch (err) {
    if (mounted) await unmount(mountPoint);
    throw err;
  } finally {
    fs.rmSync(saved, { recursive: true, force: true });
  }
  return { how: 'tmpfs', file, leftovers, remove: once(() => unmount(mountPoint)) };
}

/** A remover that does its work on the first call only (after hooks may call it twice). */
function once(work: () => Promise<void>): () => Promise<void> {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await work();
  };
}

/** umount, lazily when something still holds the mount; throws when our tmpfs is still there. */
async function unmount(mountPoint: string): Promise<void> {
  const r = await runCommand('umount', [mountPoint]);
  if (r.code !== 0) await runCommand('umount', ['-l', mountPoint]);
  if (ourMountAt(readMountinfo(), mountPoint)) {
    throw new Error(`the Chromium policy tmpfs is still mounted on ${mountPoint}: ${r.tail.join(' ')}`);
  }
}

/** Mount points of our policy tmpfs on `dir` or any of its parents, deepest first, by a /proc/self/mountinfo text. */
export function ourMountsOnPath(mountinfo: string, dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    if (ourMountAt(mountinfo, d)) found.push(d);
    if (d === path.dirname(d)) return found;
  }
}

/** Is our policy tmpfs (source `ffs-lab-policy`) mounted at `mountPoint`, by a /proc/self/mountinfo text? */
export function ourMountAt(mountinfo: string, mountPoint: string): boolean {
  return mountinfo.split('\n').some((line) => {
    const [left, right] = line.split(' - ');
    return left?.split(' ')[4] === mountPoint && right?.split(' ')[1] === TMPFS_SOURCE;
  });
}
