import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../session/agent-error';

/** Where cgroup v2 is mounted on systemd systems and in the lab VM. */
const CGROUP_ROOT = '/sys/fs/cgroup';

let serial = 0;

/**
 * A cgroup v2 group with a memory limit, for processes whose memory charges are under test.
 * Lifecycle: create() (mounts cgroup2 and enables the memory controller when needed) -> add(pid)
 * -> remove() once its processes have exited. A kernel without the memory controller fails
 * create() with UNSUPPORTED.
 */
export class MemoryCgroup {
  private constructor(readonly dir: string) {}

  /** A new group under the root with `memory.max` = `maxBytes`. */
  static create(maxBytes: number): MemoryCgroup {
    ensureCgroup2();
    const controllers = fs.readFileSync(path.join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('memory')) throw new AgentError('UNSUPPORTED', 'this kernel has no memory cgroup controller (CONFIG_MEMCG)');
    const subtree = fs.readFileSync(path.join(CGROUP_ROOT, 'cgroup.subtree_control'), 'utf8');
    if (!subtree.split(/\s+/).includes('memory')) fs.writeFileSync(path.join(CGROUP_ROOT, 'cgroup.subtree_control'), '+memory');
    const dir = path.join(CGROUP_ROOT, `ffs-lab-${process.pid}-${++serial}`);
    fs.mkdirSync(dir);
    const g = new MemoryCgroup(dir);
    try {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(maxBytes));
    } catch (err) {
      g.remove();
      throw err;
    }
    return g;
  }

  /** Move process `pid` into the group (what it allocates from now on is charged here). */
  add(pid: number): void {
    fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** How many processes the group's OOM killer has killed (memory.events `oom_kill`). */
  oomKills(): number {
    const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(this.dir, 'memory.events'), 'utf8'));
    return m ? Number(m[1]) : 0;
  }

  /** Remove the group; its processes must have exited. Errors are ignored (teardown). */
  remove(): void {
    try {
      fs.rmdirSync(this.dir);
    } catch {
      /* still populated or gone */
    }
  }
}

/** Mount cgroup2 at /sys/fs/cgroup unless something is mounted there already. */
function ensureCgroup2(): void {
  const mounted = fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === CGROUP_ROOT);
  if (mounted) return;
  const r = spawnSync('mount', ['-t', 'cgroup2', 'none', CGROUP_ROOT], { encoding: 'utf8' });
  if (r.status !== 0) throw new AgentError('UNSUPPORTED', `cannot mount cgroup2 on ${CGROUP_ROOT}: ${(r.stderr || '').trim() || `exit ${r.status}`}`);
}
