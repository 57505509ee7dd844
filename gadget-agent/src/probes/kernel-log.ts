import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';
import type { KernelLog } from '@ffs-lab/contract/protocol';

const KMEMLEAK = '/sys/kernel/debug/kmemleak';
/** kmemleak reports only objects older than 5 s at scan time (MSECS_MIN_AGE); wait past it. */
const KMEMLEAK_AGE_MS = 5_500;

/**
 * The kernel log (dmesg) and, on request, a fresh kmemleak report: what the kernel-health suite
 * scans for KASAN, lockdep, WARN/BUG and leak reports after the other suites ran.
 */
export async function readKernelLog(kmemleakScan: boolean): Promise<KernelLog> {
  let dmesg: string;
  try {
    dmesg = execFileSync('dmesg', [], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new AgentError('INTERNAL', `cannot read the kernel log with dmesg: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!kmemleakScan) return { dmesg };
  if (!fs.existsSync(KMEMLEAK)) return { dmesg, kmemleak: { enabled: false, report: '' } };
  try {
    // Two scans apart by the minimum age: objects freed late in the last test are not reported.
    fs.writeFileSync(KMEMLEAK, 'scan');
    await new Promise((r) => setTimeout(r, KMEMLEAK_AGE_MS));
    fs.writeFileSync(KMEMLEAK, 'scan');
    return { dmesg, kmemleak: { enabled: true, report: fs.readFileSync(KMEMLEAK, 'utf8') } };
  } catch (err) {
    // kmemleak disables itself (EPERM/EBUSY on write) after an internal error, e.g. a full pool.
    return { dmesg, kmemleak: { enabled: false, report: `kmemleak unusable: ${(err as Error).message}` } };
  }
}
