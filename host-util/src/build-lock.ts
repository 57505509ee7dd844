import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { usageError } from '@ffs-lab/contract/exit-codes';

/** Exit code flock(1) gives for "held by someone else" in non-blocking mode (its -E option). */
const BUSY = 75;
/** How often a waiter re-reads the owner pid while the new holder has not recorded it yet: ms. */
const OWNER_POLL_MS = 50;
/** Give up reading the owner pid after this many polls (the message then says "another process"). */
const OWNER_POLLS = 20;

/**
 * An exclusive lock on a file, so two ffs-lab processes never build the same cache entry at once.
 * It is a kernel flock(2) on an open file description that this process holds: the kernel grants
 * it to exactly one holder and drops it when the holder closes it or dies (SIGKILL included), so
 * a killed build leaves no stale lock and exactly one waiter gets it next. Node has no flock, so
 * util-linux's flock(1) takes the lock on our descriptor (passed as its fd 3) and exits; the
 * lock stays with the descriptor. The file holds the owner's pid, for the waiting message only.
 */
export class BuildLock {
  private fd: number | undefined;
  constructor(private readonly lockPath: string) {}

  /**
   * Wait until the lock is ours. `onWait` is called once if we have to wait, with the holder's pid
   * (undefined when it cannot be told). Throws a usage error when flock(1) is missing.
   */
  async acquire(onWait?: (ownerPid: number | undefined) => void): Promise<void> {
    if (this.fd !== undefined) throw new Error(`${this.lockPath}: already held by this process`);
    const fd = openLockFile(this.lockPath);
    try {
      let owner: number | undefined;
      for (let poll = 0; ; poll++) {
        if ((await flock(fd, false)) === 0) return this.took(fd);
        owner = ownerOf(fd);
        // A holder that has just taken it may not have written its pid yet: the one found is the last holder's.
        if ((owner !== undefined && isAlive(owner)) || poll >= OWNER_POLLS) break;
        await new Promise((r) => setTimeout(r, OWNER_POLL_MS));
      }
      onWait?.(owner !== undefined && isAlive(owner) ? owner : undefined);
      const code = await flock(fd, true);
      if (code !== 0) throw new Error(`flock on ${this.lockPath} failed (exit ${code})`);
      return this.took(fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Release the lock if held; safe to call twice. */
  release(): void {
    if (this.fd === undefined) return;
    // Closing our only descriptor of the file drops the flock.
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private took(fd: number): void {
    this.fd = fd;
    const pid = Buffer.from(`${process.pid}\n`);
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, pid, 0, pid.length, 0);
  }
}

/**
 * Open (creating) the lock file; a symlink is refused (O_NOFOLLOW). A directory there is the mkdir
 * lock of an older ffs-lab: it is removed when the process it names is gone.
 */
function openLockFile(lockPath: string): number {
  try {
    const st = fs.lstatSync(lockPath);
    if (st.isDirectory()) {
      const owner = Number(readOr(`${lockPath}/pid`, '0'));
      if (owner && isAlive(owner)) throw usageError(`${lockPath} is the lock directory of an older ffs-lab (process ${owner}, still running): wait for it to finish`);
      fs.rmSync(lockPath, { recursive: true, force: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
}

/** flock(1) on our descriptor `fd`: exclusive, blocking or not. Resolves with its exit code (0: ours, BUSY: held). */
function flock(fd: number, wait: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', ...(wait ? [] : ['--nonblock', '--conflict-exit-code', String(BUSY)]), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? usageError('flock (from util-linux) is not installed: the build lock needs it', 'run as root: apt-get install -y util-linux') : err),
    );
    child.on('close', (code, signal) => {
      if (code === 0 || code === BUSY) resolve(code);
      else reject(new Error(`flock failed (${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

/** The pid the current holder wrote, if any. */
function ownerOf(fd: number): number | undefined {
  const buf = Buffer.alloc(32);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  const pid = Number(buf.subarray(0, n).toString().trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
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
