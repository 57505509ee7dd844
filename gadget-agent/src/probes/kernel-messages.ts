import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';
import type { KernelMessages } from '@ffs-lab/contract/protocol';

/** Records returned by one call at most: a run's per-test slice is far smaller. */
const MAX_RECORDS = 5_000;
const RECORD_BYTES = 8_192;

/**
 * Kernel log records newer than a sequence number, read from /dev/kmsg (each record carries the
 * kernel's own sequence number, so slices never overlap or miss lines the way dmesg text diffs
 * can). The runner calls this before and after every test to attach what the kernel said.
 */
export function readKernelMessages(afterSeq: number | undefined): KernelMessages {
  if (afterSeq !== undefined && (!Number.isSafeInteger(afterSeq) || afterSeq < -1)) {
    throw new AgentError('BAD_REQUEST', 'kernel.messages: afterSeq must be an integer >= -1');
  }
  let fd: number;
  try {
    fd = fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new AgentError('INTERNAL', `cannot read /dev/kmsg: ${(err as Error).message}`);
  }
  const lines: string[] = [];
  let lastSeq = afterSeq ?? -1;
  let lost = false;
  const buf = Buffer.alloc(RECORD_BYTES);
  try {
    for (let records = 0; records < MAX_RECORDS; ) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        // EPIPE: the record we were at was overwritten (ring buffer wrapped); the next read goes on.
        if (code === 'EPIPE') {
          lost = true;
          continue;
        }
        throw err;
      }
      // "prio,seq,usec,flags[,...];text\n[ KEY=value\n]*"
      const rec = buf.toString('utf8', 0, n);
      const semi = rec.indexOf(';');
      const seq = Number(rec.slice(0, semi).split(',')[1]);
      if (!(seq > (afterSeq ?? -1))) continue;
      records++;
      lastSeq = Math.max(lastSeq, seq);
      const usec = Number(rec.slice(0, semi).split(',')[2]);
      const text = rec.slice(semi + 1).split('\n')[0]!.replace(/\\x([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      lines.push(`[${(usec / 1e6).toFixed(6).padStart(12)}] ${text}`);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { lastSeq, lines, ...(lost ? { lost: true } : {}) };
}
