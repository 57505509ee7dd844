import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';
import type { FaultProcessResult, FaultSignal, FaultSignalResult, FaultStopLoopResult } from '@ffs-lab/contract/fault-protocol';

/** Marks an ffs-lab agent's command line (bin/ffs-lab-agent.js, or a deployed copy). */
const AGENT_MARK = 'ffs-lab-agent';

/** A process's command line with NULs as spaces; undefined when it is gone (or a kernel thread). */
export function cmdlineOf(pid: number): string | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return raw ? raw.replace(/\0+$/, '').replace(/\0/g, ' ') : undefined;
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command name: state and parent pid. */
export function parseStat(stat: string): { state: string; ppid: number } | undefined {
  // The command name is in parentheses and may itself hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const [state, ppid] = stat.slice(close + 2).split(' ');
  if (!state || ppid === undefined || !/^\d+$/.test(ppid)) return undefined;
  return { state, ppid: Number(ppid) };
}

function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** `fault.process`: alive (and not a zombie), with its state letter; `threads` adds where each thread waits (walks /proc). */
export function processState(pid: number, threads = false): FaultProcessResult {
  const s = statOf(pid);
  if (!s) return { alive: false };
  return { alive: s.state !== 'Z' && s.state !== 'X', state: s.state, ...(threads ? { threads: threadsOf(pid) } : {}) };
}

/** `tid state wchan (comm)` per thread, read from /proc; empty when the process is gone. */
function threadsOf(pid: number): string[] {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.map((tid) => {
    const read = (f: string) => {
      try {
        return fs.readFileSync(`/proc/${pid}/task/${tid}/${f}`, 'latin1').trim();
      } catch {
        return '?';
      }
    };
    const stat = read('stat');
    const state = /\) (\S)/.exec(stat)?.[1] ?? '?';
    // /proc/.../syscall: "nr arg1 ..."; for a blocked read/write (nr 0/1) name the fd's file.
    const sc = read('syscall').split(' ');
    let call = '';
    if ((sc[0] === '0' || sc[0] === '1') && sc[1]) {
      const fd = Number.parseInt(sc[1], 16);
      let target = '?';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        /* gone */
      }
      call = ` ${sc[0] === '0' ? 'read' : 'write'}(fd ${fd} = ${target}${target.startsWith('pipe:') ? `, other holders: ${holdersOf(target, pid).join(', ') || 'none'}` : ''})`;
    }
    return `${tid} ${state} ${read('wchan') || '-'}${call} (${read('comm')})`;
  }).concat(childrenOf(pid));
}

/** Other processes with `link` (e.g. `pipe:[123]`) open, as `pid (comm)`. */
function holdersOf(link: string, except: number): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== except)) {
    try {
      if (fs.readdirSync(`/proc/${p}/fd`).some((fd) => fs.readlinkSync(`/proc/${p}/fd/${fd}`) === link)) out.push(`${p} (${fs.readFileSync(`/proc/${p}/comm`, 'latin1').trim()})`);
    } catch {
      /* gone or not ours to read */
    }
  }
  return out;
}

/** The process's children, as `child PID state wchan: cmdline`. */
function childrenOf(pid: number): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const st = statOf(Number(p));
    if (st?.ppid !== pid) continue;
    let wchan = '-';
    try {
      wchan = fs.readFileSync(`/proc/${p}/wchan`, 'latin1').trim() || '-';
    } catch {
      /* gone */
    }
    out.push(`child ${p} ${st.state} ${wchan}: ${(cmdlineOf(Number(p)) ?? '?').slice(0, 120)}`);
  }
  return out;
}

/**
 * The process a fault may signal: another ffs-lab agent (never this one), or for `ssh-session`
 * the sshd session process that agent runs under. Anything else is refused, so a stray request
 * cannot kill init, sshd's listener or a user's program.
 */
export function faultTarget(pid: number, of: 'agent' | 'ssh-session'): { pid: number; cmdline: string } {
  if (pid === process.pid) throw new AgentError('BAD_REQUEST', 'fault.signal: an agent does not signal itself');
  const cmd = cmdlineOf(pid);
  if (cmd === undefined) throw new AgentError('ESRCH', `fault.signal: no process ${pid}`);
  if (!cmd.includes(AGENT_MARK)) throw new AgentError('BAD_REQUEST', `fault.signal: process ${pid} is not an ffs-lab agent (${cmd.slice(0, 120)})`);
  if (of === 'agent') return { pid, cmdline: cmd };
  const parent = statOf(pid)?.ppid;
  const pcmd = parent ? cmdlineOf(parent) : undefined;
  // OpenSSH names a session process `sshd: user@notty`; its listener keeps its real command line.
  if (!parent || parent <= 1 || pcmd === undefined || !/^sshd(-session)?: /.test(pcmd)) {
    throw new AgentError('BAD_STATE', `fault.signal: agent ${pid} does not run under an sshd session (parent ${parent}: ${pcmd ?? 'gone'})`);
  }
  return { pid: parent, cmdline: pcmd };
}

/** Send `signal` to the fault target (see {@link faultTarget}). */
export function signalFaultTarget(pid: number, signal: FaultSignal, of: 'agent' | 'ssh-session'): FaultSignalResult {
  const t = faultTarget(pid, of);
  try {
    process.kill(t.pid, signal);
  } catch (err) {
    throw new AgentError((err as NodeJS.ErrnoException).code ?? 'EPERM', `fault.signal: ${signal} to ${t.pid}: ${(err as Error).message}`);
  }
  return t;
}

/**
 * SIGSTOP/SIGCONT another agent `rounds` times. SIGCONT is always the last signal, also when a
 * round fails, so the target is never left stopped.
 */
export async function stopLoop(pid: number, rounds: number, stopMs: number, runMs: number): Promise<FaultStopLoopResult> {
  faultTarget(pid, 'agent');
  const t0 = Date.now();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let done = 0;
  try {
    for (; done < rounds; done++) {
      process.kill(pid, 'SIGSTOP');
      await sleep(stopMs);
      process.kill(pid, 'SIGCONT');
      await sleep(runMs);
    }
  } catch (err) {
    throw new AgentError((err as NodeJS.ErrnoException).code ?? 'ESRCH', `fault.stopLoop: round ${done + 1} of ${rounds}: ${(err as Error).message}`);
  } finally {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  return { rounds: done, elapsedMs: Date.now() - t0 };
}
