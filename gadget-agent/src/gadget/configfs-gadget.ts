import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../session/agent-error';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';
import { functionfsMounts, mountFunctionfs, unmountFunctionfs, type KilledHolder } from './functionfs-mount';
import { forgetOwner, liveOwner, recordedGadgets, recordOwner } from './gadget-owner';
import { pickUdc } from './udc';
import { GADGET_SPEC } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';
import { GADGET_PREFIX, GADGET_ROOT } from '@ffs-lab/contract/gadget-names';

const CONFIG = 'configs/c.1';
const LANG = 'strings/0x409';

/**
 * One configfs gadget with a single function, from creation to removal: FunctionFS (mounted), or
 * a kernel function of GadgetSpec.kernelFunction (nothing to mount).
 * Lifecycle: create() -> (a program writes descriptors to ep0) -> bind() -> unbind() -> remove().
 * remove() is idempotent and runs in any state, also after a crash of an earlier agent. The
 * creating process is recorded as the gadget's owner (gadget-owner.ts): while it runs, no other
 * process removes the gadget as stale.
 */
export class ConfigfsGadget {
  readonly dir: string;
  mountPoint: string | undefined;

  constructor(readonly spec: GadgetSpec) {
    validateSpec(spec);
    this.dir = path.join(GADGET_ROOT, GADGET_PREFIX + spec.name);
  }

  /** Build the gadget in configfs and mount its FunctionFS instance; a stale one of the same name is removed first. */
  create(): void {
    if (!fs.existsSync(GADGET_ROOT)) {
      throw new AgentError('ENOENT', `${GADGET_ROOT} not found: is configfs mounted and libcomposite available?`);
    }
    const name = path.basename(this.dir);
    if (fs.existsSync(this.dir)) {
      const owner = liveOwner(name);
      if (owner && owner.pid !== process.pid) throw new AgentError('EBUSY', `gadget ${name} exists and belongs to process ${owner.pid}, which still runs`);
      removeGadgetDir(this.dir);
    }
    const s = this.spec;
    const w = (rel: string, value: string) => fs.writeFileSync(path.join(this.dir, rel), value);
    fs.mkdirSync(this.dir);
    try {
      recordOwner(name);
      w('idVendor', hex(s.vendorId));
      w('idProduct', hex(s.productId));
      w('bcdUSB', hex(s.bcdUSB ?? 0x0200));
      w('bcdDevice', hex(s.bcdDevice ?? 0x0100));
      fs.mkdirSync(path.join(this.dir, LANG));
      w(`${LANG}/manufacturer`, s.manufacturer);
      w(`${LANG}/product`, s.product);
      w(`${LANG}/serialnumber`, s.serial);
      fs.mkdirSync(path.join(this.dir, CONFIG));
      fs.mkdirSync(path.join(this.dir, CONFIG, LANG));
      w(`${CONFIG}/${LANG}/configuration`, s.configuration ?? 'ffs-lab');
      w(`${CONFIG}/MaxPower`, String(s.maxPowerMa ?? 100));
      const kind = s.kernelFunction?.type ?? 'ffs';
      const fn = path.join(this.dir, 'functions', `${kind}.${s.function}`);
      try {
        fs.mkdirSync(fn);
      } catch (err) {
        if (kind !== 'ffs' && (err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('ENOENT', `this kernel has no ${kind} function for configfs (CONFIG_USB_CONFIGFS_F_LB_SS)`);
        throw err;
      }
      for (const [attr, value] of Object.entries(s.kernelFunction?.attributes ?? {})) {
        try {
          fs.writeFileSync(path.join(fn, attr), String(value));
        } catch (err) {
          throw new AgentError('BAD_REQUEST', `${kind} attribute ${attr}=${value}: ${(err as Error).message}`);
        }
      }
      fs.symlinkSync(fn, path.join(this.dir, CONFIG, `${kind}.${s.function}`));
      if (kind === 'ffs') this.mountPoint = mountFunctionfs(s.function, s.mountOptions);
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  /** Bind to a UDC (the only one present when none is named); the function's descriptors must be written first. */
  bind(udc?: string): string {
    const name = pickUdc(udc);
    try {
      fs.writeFileSync(path.join(this.dir, 'UDC'), name);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new AgentError(e.code ?? 'EIO', `binding ${name} failed: ${e.message} (${udcUser(name, this.dir) ?? 'are descriptors written to ep0? is the UDC in use?'})`);
    }
    return name;
  }

  /** The UDC this gadget is bound to, or '' when unbound. */
  boundUdc(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'UDC'), 'utf8').trim();
    } catch {
      return '';
    }
  }

  /** Unbind from the UDC (no-op when unbound). */
  unbind(): void {
    if (this.boundUdc()) fs.writeFileSync(path.join(this.dir, 'UDC'), '\n');
  }

  /**
   * Unbind, unmount (killing holders), and remove every configfs entry. Idempotent. `exiting`:
   * this process is about to exit, so a mount its own files still pin is detached at once.
   */
  remove(opts: { exiting?: boolean } = {}): void {
    removeGadgetDir(this.dir, opts.exiting ? 0 : undefined);
    forgetOwner(path.basename(this.dir));
    this.mountPoint = undefined;
  }
}

/** What {@link removeStaleGadgets} did. */
export interface StaleGadgetSweep {
  /** Gadgets removed: their owner has exited, or they have no owner record. */
  removed: string[];
  /** Processes killed because they still held files in a removed gadget's FunctionFS mount. */
  killed: KilledHolder[];
  /** Gadgets left alone because the process that made them still runs. */
  kept: Array<{ name: string; pid: number }>;
}

/**
 * Remove every gadget with our name prefix ({@link GADGET_PREFIX}) whose owner has exited: what
 * a killed agent or runner left behind. A gadget whose owner still runs (another agent, or a
 * suite runner's in-process function) is kept: removing it would kill that process as a holder
 * of its mount.
 */
export function removeStaleGadgets(): StaleGadgetSweep {
  const sweep: StaleGadgetSweep = { removed: [], killed: [], kept: [] };
  let names: string[];
  try {
    names = fs.readdirSync(GADGET_ROOT).filter((n) => n.startsWith(GADGET_PREFIX));
  } catch {
    return sweep;
  }
  for (const n of names) {
    const owner = liveOwner(n);
    if (owner) {
      sweep.kept.push({ name: n, pid: owner.pid });
      continue;
    }
    sweep.killed.push(...removeGadgetDir(path.join(GADGET_ROOT, n)));
    forgetOwner(n);
    sweep.removed.push(n);
  }
  // Records of gadgets that are gone, left by owners killed after their gadget was removed.
  for (const n of recordedGadgets()) if (!names.includes(n) && !liveOwner(n)) forgetOwner(n);
  return sweep;
}

/**
 * Tear down a gadget directory in the order configfs requires; tolerates any partial state.
 * Returns the processes killed for holding files in its mount.
 */
function removeGadgetDir(dir: string, busyWaitMs?: number): KilledHolder[] {
  const killed: KilledHolder[] = [];
  if (!fs.existsSync(dir)) return killed;
  try {
    if (fs.readFileSync(path.join(dir, 'UDC'), 'utf8').trim()) fs.writeFileSync(path.join(dir, 'UDC'), '\n');
  } catch {
    /* no UDC attribute yet */
  }
  const fnDir = path.join(dir, 'functions');
  const functions = safeList(fnDir);
  for (const f of functions.filter((n) => n.startsWith('ffs.'))) {
    const instance = f.slice(4);
    for (const m of functionfsMounts().filter((x) => x.source === instance)) killed.push(...unmountFunctionfs(m.target, busyWaitMs));
  }
  for (const c of safeList(path.join(dir, 'configs'))) {
    const cdir = path.join(dir, 'configs', c);
    for (const e of safeList(cdir)) {
      const p = path.join(cdir, e);
      if (isSymlink(p)) fs.unlinkSync(p);
    }
    for (const l of safeList(path.join(cdir, 'strings'))) rmdirQuiet(path.join(cdir, 'strings', l));
    rmdirQuiet(cdir);
  }
  for (const f of functions) rmdirQuiet(path.join(fnDir, f));
  for (const l of safeList(path.join(dir, 'strings'))) rmdirQuiet(path.join(dir, 'strings', l));
  rmdirQuiet(dir);
  if (fs.existsSync(dir)) throw new AgentError('EBUSY', `could not remove ${dir}`);
  return killed;
}

/** Which other gadget is bound to `udc`, and who made it, in words; undefined when none is. */
function udcUser(udc: string, self: string): string | undefined {
  for (const n of safeList(GADGET_ROOT)) {
    const dir = path.join(GADGET_ROOT, n);
    if (dir === self) continue;
    let bound: string;
    try {
      bound = fs.readFileSync(path.join(dir, 'UDC'), 'utf8').trim();
    } catch {
      continue;
    }
    if (bound !== udc) continue;
    const owner = liveOwner(n);
    return `gadget ${n} is bound to ${udc}${owner ? `; process ${owner.pid}, which made it, still runs` : ''}`;
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function rmdirQuiet(p: string): void {
  try {
    fs.rmdirSync(p);
  } catch {
    /* gone already, or will be reported by the final check */
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/** Reject specs that would write nonsense into configfs; messages name the field. */
export function validateSpec(s: GadgetSpec): void {
  const problems = problemsOf(GADGET_SPEC, s);
  if (problems) throw new AgentError('BAD_REQUEST', `bad gadget spec: ${problems}`);
}
