/**
 * Child process of `mmap.race` (mmap-race.ts): opens one endpoint file, says `ready`, and on
 * `go <epoch ms>` spins until that instant, then maps `bytes` at a time until the kernel refuses
 * and reports `{mapped, stoppedBy}`. It keeps its mappings until told `exit` (or stdin closes, or
 * its own deadline passes), then exits, which unmaps them. stdout: one JSON object per line.
 * argv: <endpoint file> <bytes per mapping> <deadline ms> [<bytes to release> <progress file>]
 *
 * In a memory cgroup (mmap.race's memoryMaxBytes) the mappings fill the group to within one
 * mapping of its limit, and any page this process then faults in (a 64 KiB page, on a 64K-page
 * kernel) would wake the group's OOM killer: so the array of mappings exists before the group is
 * joined, and once the kernel refuses, `bytes to release` of the last mappings are unmapped before
 * anything else, the report still counting them. The kernel's own charges in the mmap path (the
 * VMA, page tables) can still meet the limit first and have the child OOM-killed: so it also
 * keeps its count of mappings in the progress file (4 bytes, little-endian), written in place
 * from a buffer it had before joining, where the parent finds it.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { native } from '@ffs-lab/native/bindings';
import { openEndpointFd } from '@ffs-lab/native/open-endpoint-fd';

/** Most mappings a child makes: a safety net against a kernel that never refuses. */
const CAP = 20_000;

function main(): void {
  const [file, bytesArg, deadlineArg, releaseArg, progressFile] = process.argv.slice(2);
  const bytes = Number(bytesArg);
  const release = Number(releaseArg ?? 0);
  const progress = Buffer.alloc(4);
  const progressFd = progressFile ? fs.openSync(progressFile, 'r+') : undefined;
  const tell = (n: number) => {
    if (progressFd === undefined) return;
    progress.writeUInt32LE(n, 0);
    fs.writeSync(progressFd, progress, 0, 4, 0);
  };
  tell(0);
  setTimeout(() => process.exit(3), Number(deadlineArg) || 60_000).unref();
  const send = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  let fd: number;
  try {
    fd = openEndpointFd(file!, true);
    native();
  } catch (err) {
    send({ error: (err as Error).message });
    process.exit(2);
  }
  const maps = new Array<ArrayBuffer | undefined>(CAP).fill(undefined);
  let count = 0;
  send({ ready: true });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, at] = line.trim().split(' ');
    if (cmd === 'go') {
      // All children start at the same instant: the race is on the kernel's quota lock.
      while (Date.now() < Number(at));
      let stoppedBy = `more than ${CAP} mappings`;
      while (count < CAP) {
        try {
          maps[count] = native().mmapFile(fd, bytes);
          tell(++count);
        } catch (err) {
          stoppedBy = String((err as { code?: string }).code ?? (err as Error).message);
          break;
        }
      }
      const mapped = count;
      for (let freed = 0; freed < release && count > 0; freed += bytes) {
        native().munmapBuffer(maps[--count]!);
        maps[count] = undefined;
      }
      send({ mapped, stoppedBy });
    } else if (cmd === 'exit') {
      process.exit(0);
    }
  });
  rl.on('close', () => process.exit(0));
}

main();
