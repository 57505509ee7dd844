import * as fs from 'node:fs';
import * as path from 'node:path';

/** Owner records: one file per gadget directory name, holding "<pid> <start time in clock ticks>". */
export const OWNER_DIR = '/run/ffs-lab/owners';

/** The process that made a gadget, when the gadget has a record. */
export interface GadgetOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat, so a reused pid is not taken for the owner. */
  startTime: string;
}

/** Start time of `pid` (clock ticks since boot), or undefined when it is not running. */
export function processStartTime(pid: number | 'self'): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields after it start past the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Record this process as the owner of gadget `name` (the directory name under configfs). */
export function recordOwner(name: string, dir = OWNER_DIR): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), `${process.pid} ${processStartTime('self')}\n`);
}

/** Drop the record of gadget `name` (no-op when there is none). */
export function forgetOwner(name: string, dir = OWNER_DIR): void {
  fs.rmSync(path.join(dir, name), { force: true });
}

/** Names of every gadget with an owner record. */
export function recordedGadgets(dir = OWNER_DIR): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The recorded owner of gadget `name` while that very process still runs; undefined when there
 * is no record, the record is unreadable, or its process has exited (the gadget is stale).
 */
export function liveOwner(name: string, dir = OWNER_DIR): GadgetOwner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
  const [pidText, startTime] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !startTime) return undefined;
  return processStartTime(pid) === startTime ? { pid, startTime } : undefined;
}
