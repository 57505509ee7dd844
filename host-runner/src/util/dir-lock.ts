import * as fs from 'node:fs';

/**
 * An exclusive lock on a path, made with mkdir (atomic) and a pid file, so two ffs-lab processes
 * never build the same cache entry at once. A lock whose owner process is gone is taken over.
 */
export class DirLock {
  private held = false;
  constructor(private readonly lockPath: string) {}

  /** Wait (polling) until the lock is ours; `onWait` is called once if we have to wait. */
  async acquire(onWait?: (ownerPid: number) => void): Promise<void> {
    let warned = false;
    for (;;) {
      try {
        fs.mkdirSync(this.lockPath);
        fs.writeFileSync(`${this.lockPath}/pid`, String(process.pid));
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number(readOr(`${this.lockPath}/pid`, '0'));
      if (!owner || !isAlive(owner)) {
        fs.rmSync(this.lockPath, { recursive: true, force: true });
        continue;
      }
      if (!warned) onWait?.(owner);
      warned = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Release the lock if held; safe to call twice. */
  release(): void {
    if (this.held) fs.rmSync(this.lockPath, { recursive: true, force: true });
    this.held = false;
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
