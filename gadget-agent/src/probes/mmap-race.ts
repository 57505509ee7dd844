import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { AgentError } from '../session/agent-error';
import { MemoryCgroup } from './memory-cgroup';
import type { MmapRaceResult } from '@ffs-lab/contract/mmap-probe-protocol';

/** The child's script, next to this file in dist/. */
const CHILD = path.join(__dirname, 'mmap-race-child.js');
/** What a child in a memory cgroup unmaps once refused, so that reporting cannot wake the group's OOM killer. */
const CGROUP_HEADROOM_BYTES = 2 * 1024 * 1024;

/** Head start the children get to reach their spin loop before the common start instant (ms). */
const START_DELAY_MS = 300;

/** Children of races still running; killed by {@link killRaceChildren} on teardown. */
const live = new Set<ChildProcess>();

interface Child {
  proc: ChildProcess;
  lines: AsyncIterator<string>;
}

/**
 * `processes` child processes open `file` and, at one common instant, each map `bytes` at a time
 * until the kernel refuses; their totals say whether the mount's limit held in sum under the race.
 * The children then exit (unmapping everything) before this returns. Past `timeoutMs` every child
 * is killed and the race fails with TIMEOUT. With `memoryMaxBytes`, the children run in a memory
 * cgroup of that limit of their own (removed afterwards).
 */
export async function raceMmap(file: string, processes: number, bytes: number, timeoutMs: number, memoryMaxBytes?: number): Promise<MmapRaceResult> {
  const children: Child[] = [];
  const group = memoryMaxBytes === undefined ? undefined : MemoryCgroup.create(memoryMaxBytes);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AgentError('TIMEOUT', `mmap.race: not done within ${timeoutMs} ms`)), timeoutMs);
  });
  deadline.catch(() => undefined);
  try {
    for (let i = 0; i < processes; i++) {
      const proc = spawn(process.execPath, [CHILD, file, String(bytes), String(timeoutMs), String(group ? CGROUP_HEADROOM_BYTES : 0)], { stdio: ['pipe', 'pipe', 'pipe'] });
      live.add(proc);
      proc.on('exit', () => live.delete(proc));
      proc.stderr!.resume();
      children.push({ proc, lines: readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() });
    }
    const next = async (c: Child): Promise<Record<string, unknown>> => {
      const r = await Promise.race([c.lines.next(), deadline]);
      if (r.done) throw new AgentError('INTERNAL', `mmap.race: child ${c.proc.pid} exited early (code ${c.proc.exitCode})`);
      const o = JSON.parse(r.value) as Record<string, unknown>;
      if (o.error) throw new AgentError('INTERNAL', `mmap.race: child ${c.proc.pid}: ${String(o.error)}`);
      return o;
    };
    await Promise.all(children.map(next));
    // Moved once ready: what node allocates while it starts stays charged where it was.
    for (const c of children) if (group && c.proc.pid !== undefined) group.add(c.proc.pid);
    const at = Date.now() + START_DELAY_MS;
    for (const c of children) c.proc.stdin!.write(`go ${at}\n`);
    const reports = await Promise.all(children.map(next));
    const raceMs = Date.now() - at;
    const exited = children.map((c) => new Promise<void>((r) => (c.proc.exitCode !== null ? r() : c.proc.once('exit', () => r()))));
    for (const c of children) c.proc.stdin!.end('exit\n');
    await Promise.race([Promise.all(exited), deadline]);
    const mapped = reports.map((o) => Number(o.mapped));
    return { mapped, stoppedBy: reports.map((o) => String(o.stoppedBy)), totalBytes: mapped.reduce((a, b) => a + b, 0) * bytes, raceMs };
  } finally {
    clearTimeout(timer);
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    if (group) {
      await Promise.all(children.map((c) => new Promise<void>((r) => (c.proc.exitCode !== null || c.proc.signalCode !== null ? r() : c.proc.once('exit', () => r())))));
      group.remove();
    }
  }
}

/** Kill every race child still running (agent teardown). */
export function killRaceChildren(): void {
  for (const p of live) p.kill('SIGKILL');
}
