import * as fs from 'node:fs';
import { ExitCode, usageError } from '@ffs-lab/contract/exit-codes';
import type { Target } from '../run/target';
import { confineToUsbPort } from '../usb/usb-port';
import { formatCheck, runChecks, type CheckResult } from './doctor-check';
import { TARGET_CHECKS, type DoctorContext } from './target-checks';

/** doctor's JSON in a lab report dir (`lab --doctor`). */
export const DOCTOR_FILE = 'doctor.json';

/** What `ffs-lab doctor` found, as written with `--json`. */
export interface DoctorReport {
  target: string;
  description: string;
  checks: CheckResult[];
  /** 0 when nothing failed (warnings allowed), 3 otherwise. */
  exitCode: number;
}

/**
 * Check a target's bring-up in order (target-checks.ts), printing each result as it is known
 * with what to do about a failure; leaves nothing behind (its test gadget is removed, its agent
 * and connection closed). Exit 0 when nothing failed, 3 when something did.
 */
export async function runDoctor(target: Target, out: NodeJS.WritableStream, jsonFile?: string): Promise<number> {
  out.write(`doctor: ${target.name} (${target.description})\n`);
  const ctx: DoctorContext = { target };
  let checks: CheckResult[];
  confineToUsbPort(target.config.usb?.port);
  try {
    checks = await runChecks(TARGET_CHECKS, ctx, (r) => out.write(`${formatCheck(r)}\n`));
  } finally {
    await ctx.agent?.close().catch(() => undefined);
    await ctx.transport?.close().catch(() => undefined);
    confineToUsbPort(undefined);
  }
  const failed = checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const warned = checks.filter((c) => c.status === 'warn').length;
  const exitCode = failed.length > 0 ? ExitCode.Infrastructure : ExitCode.Ok;
  out.write(failed.length > 0 ? `doctor: ${failed.length} failed (${failed.join(', ')}); fix the first one first: later checks depend on it\n` : `doctor: ready${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}\n`);
  if (jsonFile !== undefined) {
    const report: DoctorReport = { target: target.name, description: target.description, checks, exitCode };
    try {
      fs.writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
    } catch (err) {
      throw usageError(`doctor: cannot write --json ${jsonFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return exitCode;
}
