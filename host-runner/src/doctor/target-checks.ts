import * as crypto from 'node:crypto';
import { GADGET_ROOT } from '@ffs-lab/contract/gadget-names';
import { LabError } from '@ffs-lab/contract/exit-codes';
import { launchAgent } from '../agent/agent-launch';
import { DEFAULT_ENUMERATE_TIMEOUT_MS } from '../config/lab-config';
import { MIN_NODE } from '../deploy/agent-bundle';
import { FaultGadget } from '../faults/fault-gadget';
import type { Target } from '../run/target';
import type { AgentHandle } from '../suite-runner/lab-context';
import { SshNotUpError } from '../transport/ssh-login';
import type { Transport } from '../transport/transport';
import type { CheckOutcome, DoctorCheck } from './doctor-check';

/** What the checks share as they go; doctor closes `transport` and `agent` at the end. */
export interface DoctorContext {
  target: Target;
  /** The connection the `ssh` check opened. */
  transport?: Transport;
  /** The agent the `agent` check started. */
  agent?: AgentHandle;
  /** The UDC the `udc` check settled on. */
  udc?: string;
}

/** Product ID of doctor's test gadget (vendor 0x1d6b, the Linux Foundation's, as every ffs-lab gadget). */
export const DOCTOR_PRODUCT_ID = 0x01d0;

const ok = (detail: string): CheckOutcome => ({ status: 'ok', detail });
const fail = (detail: string, advice: string): CheckOutcome => ({ status: 'fail', detail, advice });
const warn = (detail: string, advice: string): CheckOutcome => ({ status: 'warn', detail, advice });

/** A shell script on the target, its arguments passed as positional parameters (never pasted). */
async function sh(ctx: DoctorContext, script: string, ...args: string[]): Promise<string> {
  const r = await ctx.transport!.exec(['sh', '-c', script, 'sh', ...args], { timeoutMs: ctx.target.commandTimeoutMs });
  return r.stdout;
}

/** The bring-up checks, in the order a new board meets them. */
export const TARGET_CHECKS: readonly DoctorCheck<DoctorContext>[] = [
  {
    name: 'ssh',
    needs: [],
    async run(ctx) {
      const t = ctx.target.makeTransport();
      try {
        await t.connect();
      } catch (err) {
        if (err instanceof SshNotUpError) {
          return fail(err.message, 'is the board powered and booted, its sshd running, the network (and any jump host) up? After a power cycle, give it time with --wait-for-ssh SEC');
        }
        throw err;
      }
      ctx.transport = t;
      return ok(t.description === 'local' ? 'local: this machine, no SSH' : `${t.description}: host key verified, logged in`);
    },
  },
  {
    name: 'root',
    needs: ['ssh'],
    async run(ctx) {
      const uid = (await sh(ctx, 'id -u')).trim();
      return uid === '0' ? ok('uid 0') : fail(`logged in as uid ${uid}`, 'configfs gadgets and FunctionFS mounts need root: log in as root (lab config transport.user, or User in ~/.ssh/config)');
    },
  },
  {
    name: 'node',
    needs: ['ssh'],
    async run(ctx) {
      const node = ctx.target.agentArgv[0]!;
      const r = await ctx.transport!.exec([node, '--version'], { timeoutMs: ctx.target.commandTimeoutMs }).catch((e: unknown) => ({ code: 127, stdout: '', stderr: (e as Error).message }));
      const install = `install Node.js ${MIN_NODE.join('.')} or later (Debian 12: apt-get install nodejs), or point agent.node at one`;
      if (r.code !== 0) return fail(`'${node}' does not run on the target (exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''})`, install);
      const v = r.stdout.trim();
      const [major = 0, minor = 0] = v.replace(/^v/, '').split('.').map(Number);
      if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) return fail(`${node} is ${v}, older than ${MIN_NODE.join('.')}`, install);
      return ok(`${node} ${v}`);
    },
  },
  {
    name: 'agent',
    needs: ['node'],
    async run(ctx) {
      ctx.agent = await launchAgent(() => ctx.target.makeTransport(), { argv: ctx.target.agentArgv, targetName: ctx.target.name, timeoutMs: ctx.target.commandTimeoutMs });
      const h = ctx.agent.agent.hello!;
      return ok(`agent ${h.agentVersion} answers: kernel ${h.kernelRelease}${h.machine ? ` ${h.machine}` : ''}${h.pageSize ? `, ${h.pageSize / 1024} KiB pages` : ''}`);
    },
  },
  {
    name: 'configfs',
    needs: ['root'],
    async run(ctx) {
      const script = 'grep -qw configfs /proc/filesystems || { echo no-configfs; exit 0; }; [ -d "$1" ] && { echo ok; exit 0; }; grep -q " /sys/kernel/config configfs " /proc/mounts || { echo not-mounted; exit 0; }; echo no-usb-gadget';
      switch ((await sh(ctx, script, GADGET_ROOT)).trim()) {
        case 'ok':
          return ok(`${GADGET_ROOT} present`);
        case 'no-configfs':
          return fail('the kernel has no configfs', 'build it with CONFIG_CONFIGFS_FS=y');
        case 'not-mounted':
          return fail('configfs is not mounted', 'mount -t configfs none /sys/kernel/config (systemd does it at boot: sys-kernel-config.mount)');
        default:
          return fail(`configfs is mounted but ${GADGET_ROOT} is missing`, 'load the gadget framework (modprobe libcomposite), or build CONFIG_USB_CONFIGFS=y');
      }
    },
  },
  {
    name: 'functionfs',
    needs: ['configfs'],
    async run(ctx) {
      // The real test: can a FunctionFS function be created? (An empty gadget, removed at once.)
      const script = 'd="$1/ffslab-doctor-$$"; mkdir "$d" || exit 0; if mkdir "$d/functions/ffs.doctor" 2>/dev/null; then echo ok; rmdir "$d/functions/ffs.doctor"; else echo no-ffs; grep -o "initcall_blacklist=[^ ]*" /proc/cmdline; fi; rmdir "$d"';
      const [out, blacklist] = (await sh(ctx, script, GADGET_ROOT)).trim().split('\n');
      if (out === 'ok') return ok('a FunctionFS function can be created (usb_f_fs)');
      if (out === 'no-ffs' && blacklist !== undefined) return fail(`configfs refuses an ffs function: FunctionFS is switched off on the kernel command line (${blacklist})`, 'boot without that initcall_blacklist entry');
      if (out === 'no-ffs') return fail('configfs refuses an ffs function: the kernel has no FunctionFS', 'build the kernel with CONFIG_USB_CONFIGFS_F_FS=y, or load it: modprobe usb_f_fs');
      return fail(`cannot create a gadget in ${GADGET_ROOT}`, 'is configfs writable (root, not a read-only mount)?');
    },
  },
  {
    name: 'udc',
    needs: ['configfs'],
    async run(ctx) {
      const udcs = (await sh(ctx, 'ls /sys/class/udc 2>/dev/null; exit 0')).split('\n').filter(Boolean);
      const wanted = ctx.target.config.udc;
      const peripheral = 'the controller is not in peripheral mode, or its driver is not loaded: Raspberry Pi 4 dtoverlay=dwc2,dr_mode=peripheral; dwc3 boards dr_mode = "peripheral" in the device tree (docs/boards.md)';
      if (udcs.length === 0) return fail('no UDC in /sys/class/udc', peripheral);
      if (wanted !== undefined && !udcs.includes(wanted)) return fail(`UDC '${wanted}' (lab config udc) is not present; there: ${udcs.join(', ')}`, `set udc to one of ${udcs.join(', ')}, or: ${peripheral}`);
      if (wanted === undefined && udcs.length > 1) return fail(`${udcs.length} UDCs (${udcs.join(', ')}) and the lab config names none`, 'set udc: NAME in the lab config for this target');
      const udc = wanted ?? udcs[0]!;
      // Who holds it: a configfs gadget (named), or a legacy gadget driver (the UDC's `function`).
      const holders = 'for g in "$1"/*/; do [ -f "$g/UDC" ] && [ "$(cat "$g/UDC")" = "$2" ] && { g=${g%/}; echo "gadget ${g##*/}"; }; done; f=$(cat "/sys/class/udc/$2/function" 2>/dev/null); [ -n "$f" ] && echo "function $f"; exit 0';
      const held = (await sh(ctx, holders, GADGET_ROOT, udc)).split('\n').filter(Boolean);
      const gadget = held.find((l) => l.startsWith('gadget '))?.slice(7);
      if (gadget !== undefined) {
        const ours = gadget.startsWith('ffslab-') ? ' (an ffs-lab gadget: another run on this board, or one that did not finish)' : '';
        return fail(`UDC ${udc} is busy: configfs gadget '${gadget}' is bound to it${ours}`, `unbind it: echo "" > ${GADGET_ROOT}/${gadget}/UDC (or stop the program that owns that gadget)`);
      }
      const fn = held.find((l) => l.startsWith('function '))?.slice(9);
      if (fn !== undefined) return fail(`UDC ${udc} is busy: gadget driver '${fn}' is bound to it`, 'unload the legacy gadget (modprobe -r g_ether g_serial g_mass_storage ...), or remove it from /etc/modules');
      ctx.udc = udc;
      return ok(`${udc}${udcs.length > 1 ? ` (of ${udcs.join(', ')})` : ''}, free`);
    },
  },
  {
    name: 'kconfig',
    needs: ['ssh'],
    async run(ctx) {
      const config = await sh(ctx, '{ zcat /proc/config.gz || cat "/boot/config-$(uname -r)"; } 2>/dev/null; exit 0');
      const wanted = ['CONFIG_USB_CONFIGFS_F_FS', 'CONFIG_AIO', 'CONFIG_EVENTFD'];
      if (!config.includes('CONFIG_')) {
        const aio = (await sh(ctx, '[ -e /proc/sys/fs/aio-max-nr ] && echo aio; exit 0')).includes('aio');
        if (!aio) return fail('no kernel config to read, and /proc/sys/fs/aio-max-nr is missing: no AIO', 'build the kernel with CONFIG_AIO=y (and CONFIG_IKCONFIG_PROC=y, so that tools can read its config)');
        return warn('no kernel config (/proc/config.gz, /boot/config-RELEASE): AIO present (/proc/sys/fs/aio-max-nr), eventfd not verified', 'CONFIG_IKCONFIG_PROC=y lets doctor read the config; the native-io suite tests eventfd either way');
      }
      const missing = wanted.filter((k) => !new RegExp(`^${k}=[ym]$`, 'm').test(config));
      if (missing.length > 0) return fail(`not set in the running kernel's config: ${missing.join(', ')}`, `rebuild the kernel with ${missing.map((k) => `${k}=y`).join(' ')}`);
      return ok(wanted.map((k) => `${k}=${new RegExp(`^${k}=([ym])$`, 'm').exec(config)![1]}`).join(' '));
    },
  },
  {
    name: 'mmap',
    needs: ['agent', 'functionfs'],
    async run(ctx) {
      const a = ctx.agent!.agent;
      const expected = ctx.target.config.features?.mmap;
      const probe = ctx.target.config.tools?.ffsFeatures ?? (ctx.target.config.tools?.dir ? `${ctx.target.config.tools.dir}/ffs-features` : undefined);
      let present: boolean;
      let how: string;
      if (probe !== undefined) {
        const f = await a.call('features', { probe }, ctx.target.commandTimeoutMs);
        present = f.mmap === 'present';
        how = `ffs-features probe: ${f.mmapProbe}`;
      } else {
        try {
          const m = await a.call('mmap.mount', { mountOptions: { mmap_memory_mb: 1 } });
          await a.call('mmap.unmount', { id: m.id });
          present = true;
          how = 'a FunctionFS mount accepts mmap_memory_mb';
        } catch (err) {
          if (!/EINVAL/.test((err as Error).message)) throw err;
          present = false;
          how = 'a FunctionFS mount refuses mmap_memory_mb (EINVAL)';
        }
      }
      const state = present ? 'present' : 'absent';
      if (expected !== undefined && expected !== state) return fail(`zero-copy mmap ${state} (${how}), the lab config expects it ${expected}`, present ? 'set features.mmap: present' : 'flash a kernel with the series (fixtures/kernel/patches for 6.12, patches-6.1 for 6.1), or set features.mmap: absent');
      if (!present) return warn(`zero-copy mmap absent (${how})`, 'the mmap suites will skip; the series is in fixtures/kernel/patches (6.12) and patches-6.1 (6.1)');
      return ok(`zero-copy mmap present (${how})`);
    },
  },
  {
    name: 'host-usb',
    needs: ['agent', 'functionfs', 'udc'],
    async run(ctx) {
      const serial = crypto.randomBytes(6).toString('hex');
      let g: FaultGadget | undefined;
      try {
        g = await FaultGadget.create(ctx.agent!.agent, {
          name: 'doctor',
          vendorId: 0x1d6b,
          productId: DOCTOR_PRODUCT_ID,
          serial,
          udc: ctx.udc!,
          enumerateTimeoutMs: ctx.target.config.usb?.enumerateTimeoutMs ?? DEFAULT_ENUMERATE_TIMEOUT_MS,
        });
      } catch (err) {
        const m = (err as Error).message;
        if (/did not enumerate/.test(m)) {
          return fail(`bound to ${ctx.udc}, but this host never saw the device: ${m}`, "check the cable (a data cable, into the board's device/OTG port, not a power-only port), that the port is in peripheral mode, and this host's dmesg");
        }
        if (/LIBUSB_ERROR_ACCESS/.test(m)) {
          return fail(`the device enumerated, but this user may not open it: ${m}`, 'run as root, or add a udev rule: SUBSYSTEM=="usb", ATTR{idVendor}=="1d6b", MODE="0660", GROUP="plugdev" in /etc/udev/rules.d/70-ffs-lab.rules, then udevadm control --reload and replug');
        }
        throw err instanceof LabError ? err : new Error(m);
      } finally {
        await g?.remove().catch(() => undefined);
        if (!g) await ctx.agent!.agent.call('gadget.remove', {}).catch(() => undefined);
      }
      return ok(`a test gadget (1d6b:${DOCTOR_PRODUCT_ID.toString(16).padStart(4, '0')}) bound to ${ctx.udc}, enumerated and opened on this host`);
    },
  },
];
