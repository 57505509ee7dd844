import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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
  // Each child's count of mappings, where a child the OOM killer ends leaves it (private: mode 0700).
  const progressDir = group ? fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-race-')) : '';
  const progressFile = (i: number) => {
    const f = path.join(progressDir, `child-${i}`);
    if (!fs.existsSync(f)) fs.writeFileSync(f, Buffer.alloc(4));
    return f;
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AgentError('TIMEOUT', `mmap.race: not done within ${timeoutMs} ms`)), timeoutMs);
  });
  deadline.catch(() => undefined);
  try {
    for (let i = 0; i < processes; i++) {
      const progress = group ? progressFile(i) : undefined;
      const proc = spawn(process.execPath, [CHILD, file, String(bytes), String(timeoutMs), ...(progress ? [String(CGROUP_HEADROOM_BYTES), progress] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
      live.add(proc);
      proc.on('exit', () => live.delete(proc));
      // A child the OOM killer ended has no stdin to read 'exit' from.
      proc.stdin!.on('error', () => undefined);
      proc.stderr!.resume();
      children.push({ proc, lines: readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() });
    }
    const next = async (c: Child, i: number): Promise<Record<string, unknown>> => {
      const r = await Promise.race([c.lines.next(), deadline]);
      if (r.done) {
        await Promise.race([exitOf(c.proc), deadline]);
        // Killed by its group at the group's limit: a verdict on the limit, not a broken child.
        if (group && c.proc.signalCode === 'SIGKILL' && group.oomKills() > 0) return { mapped: readProgress(progressFile(i)), stoppedBy: 'OOM-kill' };
        throw new AgentError('INTERNAL', `mmap.race: child ${c.proc.pid} exited early (${c.proc.signalCode ?? `code ${c.proc.exitCode}`})`);
      }
      const o = JSON.parse(r.value) as Record<string, unknown>;
      if (o.error) throw new AgentError('INTERNAL', `mmap.race: child ${c.proc.pid}: ${String(o.error)}`);
      return o;
    };
    await Promise.all(children.map((c, i) => next(c, i)));
    // Moved once ready: what node allocates while it starts stays charged where it was.
    for (const c of children) if (group && c.proc.pid !== undefined) group.add(c.proc.pid);
    const at = Date.now() + START_DELAY_MS;
    for (const c of children) c.proc.stdin!.write(`go ${at}\n`);
    const reports = await Promise.all(children.map((c, i) => next(c, i)));
    const raceMs = Date.now() - at;
    const exited = children.map((c) => exitOf(c.proc));
    for (const c of children) c.proc.stdin!.end('exit\n');
    await Promise.race([Promise.all(exited), deadline]);
    const mapped = reports.map((o) => Number(o.mapped));
    return { mapped, stoppedBy: reports.map((o) => String(o.stoppedBy)), totalBytes: mapped.reduce((a, b) => a + b, 0) * bytes, raceMs };
  } finally {
    clearTimeout(timer);
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    if (group) {
      await Promise.all(children.map((c) => exitOf(c.proc)));
      group.remove();
      fs.rmSync(progressDir, { recursive: true, force: true });
    }
  }
}

/** Resolves when `proc` has exited (at once if it has). */
function exitOf(proc: ChildProcess): Promise<void> {
  return new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
}

/** The count a child left in its progress file. */
function readProgress(file: string): number {
  return fs.readFileSync(file).readUInt32LE(0);
}

/** Kill every race child still running (agent teardown). */
export function killRaceChildren(): void {
  for (const p of live) p.kill('SIGKILL');
}
