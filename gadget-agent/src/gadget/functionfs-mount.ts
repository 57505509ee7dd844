import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../session/agent-error';

/** Where the agent mounts FunctionFS instances: `<MOUNT_ROOT>/<function>`. */
export const MOUNT_ROOT = '/run/ffs-lab/ffs';

/** A FunctionFS mount as listed in /proc/mounts. */
export interface FfsMount {
  source: string;
  target: string;
  options: string;
}

/** Every functionfs mount on the system. */
export function functionfsMounts(): FfsMount[] {
  const out: FfsMount[] = [];
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [source, target, type, options] = line.split(' ');
    if (type === 'functionfs' && source && target) out.push({ source, target: unescapeMount(target), options: options ?? '' });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** `key=value,flag` from an options object; values are validated so nothing odd reaches mount(8). */
export function mountOptionString(opts: Record<string, string | number | boolean> = {}): string {
  return Object.entries(opts)
    .map(([k, v]) => {
      if (!/^[a-z_]+$/.test(k)) throw new AgentError('BAD_REQUEST', `bad mount option name '${k}'`);
      if (v === true) return k;
      if (v === false) return '';
      const s = String(v);
      if (/[,=\t\n\r\0]/.test(s)) throw new AgentError('BAD_REQUEST', `bad value for mount option ${k}: '${s}'`);
      return `${k}=${s}`;
    })
    .filter(Boolean)
    .join(',');
}

/** Mount a FunctionFS instance; mount(8)'s message becomes the error (EINVAL for bad options). */
export function mountFunctionfs(instance: string, opts: Record<string, string | number | boolean> | undefined): string {
  const target = path.join(MOUNT_ROOT, instance);
  fs.mkdirSync(target, { recursive: true });
  const optString = mountOptionString(opts);
  runMount(['-t', 'functionfs', ...(optString ? ['-o', optString] : []), instance, target], `mount -t functionfs ${optString ? `-o ${optString} ` : ''}${instance}`);
  return target;
}

/** Remount a FunctionFS mount with `opts` (`mount -o remount,...`); mount(8)'s message becomes the error. */
export function remountFunctionfs(target: string, opts: Record<string, string | number | boolean> | undefined): void {
  const optString = ['remount', mountOptionString(opts)].filter(Boolean).join(',');
  runMount(['-o', optString, target], `mount -o ${optString} ${target}`);
}

/** Run mount(8) (no shell); on failure throw its message with an errno-like code (EINVAL for refused options). */
function runMount(args: string[], what: string): void {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status === 0) return;
  // util-linux 2.38 puts the reason on the first line and a dmesg hint on the last: keep them all.
  const msg = (r.stderr || r.stdout || '').trim().split('\n').map((l) => l.trim()).filter(Boolean).join(' / ');
  const code = /invalid argument|bad option|wrong fs type|bad value/i.test(msg) ? 'EINVAL' : /busy/i.test(msg) ? 'EBUSY' : 'EMOUNT';
  throw new AgentError(code, `${what}: ${msg || `exit ${r.status}`}`);
}

/** Block this thread for `ms` without spawning anything (a `sleep` child costs a fork of node). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A process {@link unmountFunctionfs} killed: its pid and command name (from /proc, before the kill). */
export interface KilledHolder {
  pid: number;
  comm: string;
}

/**
 * Unmount, first killing any process that still holds files in the mount (a FunctionFS program
 * left by a killed agent would otherwise keep it busy forever). While the mount stays busy (files
 * or mappings of this process not yet released) it retries for `busyWaitMs` (default 5 s), then
 * detaches it lazily; an exiting agent passes 0, since its own references go with it. Returns the
 * processes it killed, so that callers can say so.
 */
export function unmountFunctionfs(target: string, busyWaitMs = 5000): KilledHolder[] {
  const killed: KilledHolder[] = [];
  for (const pid of holders(target)) {
    let comm = '?';
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      /* exiting */
    }
    try {
      process.kill(pid, 'SIGKILL');
      killed.push({ pid, comm });
    } catch {
      /* already gone */
    }
  }
  const t0 = Date.now();
  for (;;) {
    if (!functionfsMounts().some((m) => m.target === target)) break;
    const r = spawnSync('umount', [target], { encoding: 'utf8' });
    if (r.status === 0 || Date.now() - t0 >= busyWaitMs) break;
    sleepSync(100);
  }
  if (functionfsMounts().some((m) => m.target === target)) {
    spawnSync('umount', ['-l', target]);
  }
  try {
    fs.rmdirSync(target);
  } catch {
    /* not empty or gone */
  }
  return killed;
}

/** PIDs (other than ours) with an open file under `dir`. */
export function holders(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (link === dir || link.startsWith(dir + '/')) {
          pids.push(Number(entry));
          break;
        }
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return pids;
}
