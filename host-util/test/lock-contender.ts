/**
 * Test fixture, run as a separate process by build-lock.test.ts: takes the build lock the way a
 * builder does and proves, with an O_EXCL marker file, that nobody else holds it at the same time.
 * Not a test file itself.
 *
 * argv: LOCK MARKER ROUNDS HOLD_MS SLOW_WRITES(0|1) [hold]
 * - it waits for a 'go' message, then ROUNDS times: acquire, create MARKER exclusively, hold
 *   HOLD_MS, check MARKER is still its own, remove it, release.
 * - SLOW_WRITES=1 makes every fs.writeFileSync of this process take 300 ms first (a loaded machine
 *   or a slow disk), which widens any window between taking the lock and recording its owner.
 * - `hold`: acquire once, report 'held', and keep the lock until killed.
 * Messages to the parent: 'waiting <ownerPid>', 'acquired', 'held', 'double <why>', 'done'.
 */
import * as fs from 'node:fs';
import { BuildLock } from '../src/build-lock';

const [lockPath, marker, rounds, holdMs, slowWrites, mode] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

if (slowWrites === '1') {
  // The module object itself: the lock's import of it reads through to it, so its writes are slowed too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import's copy of its bindings
  const nodeFs = require('node:fs') as typeof fs;
  const write = nodeFs.writeFileSync;
  nodeFs.writeFileSync = ((...args: Parameters<typeof fs.writeFileSync>) => {
    sleepSync(300);
    return write(...args);
  }) as typeof fs.writeFileSync;
}

const send = (m: string) => process.send!(m);

async function main(): Promise<void> {
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const lock = new BuildLock(lockPath);
  if (mode === 'hold') {
    await lock.acquire((pid) => send(`waiting ${pid}`));
    send('held');
    setInterval(() => undefined, 60_000);
    return;
  }
  for (let i = 0; i < Number(rounds); i++) {
    await lock.acquire((pid) => send(`waiting ${pid}`));
    send('acquired');
    let fd: number;
    try {
      fd = fs.openSync(marker, 'wx');
    } catch (err) {
      send(`double: ${marker} exists (${(err as NodeJS.ErrnoException).code}): another process holds the lock too`);
      process.exit(1);
    }
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    await new Promise((r) => setTimeout(r, Number(holdMs)));
    const owner = fs.readFileSync(marker, 'utf8');
    if (owner !== String(process.pid)) {
      send(`double: ${marker} is process ${owner}'s while this one holds the lock`);
      process.exit(1);
    }
    fs.unlinkSync(marker);
    lock.release();
  }
  send('done');
  process.disconnect();
}

main().catch((err) => {
  send(`error: ${(err as Error).message}`);
  process.exit(2);
});
