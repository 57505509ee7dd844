/**
 * Child process of `mmap.race` (mmap-race.ts): opens one endpoint file, says `ready`, and on
 * `go <epoch ms>` spins until that instant, then maps `bytes` at a time until the kernel refuses
 * and reports `{mapped, stoppedBy}`. It keeps its mappings until told `exit` (or stdin closes, or
 * its own deadline passes), then exits, which unmaps them. stdout: one JSON object per line.
 * argv: <endpoint file> <bytes per mapping> <deadline ms>
 */
import * as readline from 'node:readline';
import { native } from '@ffs-lab/native/bindings';
import { openEndpointFd } from '@ffs-lab/native/open-endpoint-fd';

/** Most mappings a child makes: a safety net against a kernel that never refuses. */
const CAP = 20_000;

function main(): void {
  const [file, bytesArg, deadlineArg] = process.argv.slice(2);
  const bytes = Number(bytesArg);
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
  const maps: ArrayBuffer[] = [];
  send({ ready: true });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, at] = line.trim().split(' ');
    if (cmd === 'go') {
      // All children start at the same instant: the race is on the kernel's quota lock.
      while (Date.now() < Number(at));
      let stoppedBy = `more than ${CAP} mappings`;
      while (maps.length < CAP) {
        try {
          maps.push(native().mmapFile(fd, bytes));
        } catch (err) {
          stoppedBy = String((err as { code?: string }).code ?? (err as Error).message);
          break;
        }
      }
      send({ mapped: maps.length, stoppedBy });
    } else if (cmd === 'exit') {
      process.exit(0);
    }
  });
  rl.on('close', () => process.exit(0));
}

main();
