import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { ID_PATTERN, idPatternRegExp } from '../suite-runner/test-selection';
import type { TestResult } from './results';

/**
 * Waivers: known failures a lab accepts for a while. A waived test still fails in every report
 * (its status does not change: JUnit shows it skipped with the failure in its message, KTAP as
 * `# XFAIL`, LAVA as `skip`), but it does not fail the run. Every waiver expires: from its
 * expiry date on it waives nothing, and the run fails until the waiver is renewed or removed,
 * so none outlives the bug it was written for.
 *
 * The file (YAML):
 *
 *     waivers:
 *       - id: dmabuf.fence-out-short      # a test ID, or a glob of them (`ffs-lab list`)
 *         reason: "6.1: short OUT fences report the full length (lore link)"
 *         kernel: '^6\.1\.'               # optional: a regular expression on the kernel release
 *         expires: 2027-03-31             # the first day it no longer applies (UTC)
 */
export interface Waiver {
  /** A test ID, or a glob of them (`*`). */
  id: string;
  /** Why the failure is accepted, and where its bug is tracked. */
  reason: string;
  /** Regular expression on the kernel release; absent: every kernel. */
  kernel?: string;
  /** `YYYY-MM-DD`: the first day (UTC) the waiver no longer applies. */
  expires: string;
}

/** What a waiver says on the test it waives. */
export type TestWaiver = Pick<Waiver, 'reason' | 'expires'>;

const KEYS = new Set(['id', 'reason', 'kernel', 'expires']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parse a waivers file's text; anything malformed is a usage error naming the entry and field. */
export function parseWaivers(text: string, file: string): Waiver[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw usageError(`${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = (doc as { waivers?: unknown } | null)?.waivers;
  if (!doc || typeof doc !== 'object' || Object.keys(doc).some((k) => k !== 'waivers') || !Array.isArray(list)) {
    throw usageError(`${file}: expected one key, 'waivers', holding a list (see README: Waivers)`);
  }
  return list.map((w: unknown, i) => {
    const at = `${file}: waivers[${i}]`;
    if (!w || typeof w !== 'object' || Array.isArray(w)) throw usageError(`${at}: expected a mapping with id, reason, expires and optionally kernel`);
    const o = w as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !KEYS.has(k));
    if (extra.length) throw usageError(`${at}: unknown key(s) ${extra.join(', ')} (allowed: id, reason, kernel, expires)`);
    if (typeof o.id !== 'string' || !ID_PATTERN.test(o.id)) throw usageError(`${at}: id must be a test ID or a glob of them ([a-z0-9_.-] and *), got ${JSON.stringify(o.id)}`);
    if (typeof o.reason !== 'string' || o.reason.trim() === '') throw usageError(`${at} (${o.id}): reason must be non-empty text: say why, and where the bug is tracked`);
    // YAML reads an unquoted 2027-03-31 as a date.
    const expires = o.expires instanceof Date ? o.expires.toISOString().slice(0, 10) : o.expires;
    if (typeof expires !== 'string' || !DATE.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`)) || new Date(`${expires}T00:00:00Z`).toISOString().slice(0, 10) !== expires) {
      throw usageError(`${at} (${o.id}): expires must be a date, YYYY-MM-DD (every waiver expires), got ${JSON.stringify(o.expires)}`);
    }
    if (o.kernel !== undefined) {
      if (typeof o.kernel !== 'string') throw usageError(`${at} (${o.id}): kernel must be a regular expression on the kernel release`);
      try {
        new RegExp(o.kernel);
      } catch (e) {
        throw usageError(`${at} (${o.id}): kernel '${o.kernel}' is not a regular expression: ${(e as Error).message}`);
      }
    }
    return { id: o.id, reason: o.reason.trim(), ...(o.kernel !== undefined ? { kernel: o.kernel as string } : {}), expires };
  });
}

/** Read and parse a waivers file (usage error when it cannot be read). */
export function loadWaivers(file: string): Waiver[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError(`--waivers ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseWaivers(text, file);
}

/** The waivers of one run: which still apply to its kernel, and which have expired. */
export class WaiverBook {
  /** Waivers past their date: they waive nothing, and each fails the run. */
  readonly expired: Waiver[];
  private readonly live: { w: Waiver; id: RegExp }[];

  /** `today`: YYYY-MM-DD (UTC); default now. */
  constructor(waivers: readonly Waiver[], kernelRelease: string, today = new Date().toISOString().slice(0, 10)) {
    this.expired = waivers.filter((w) => w.expires <= today);
    this.live = waivers.filter((w) => w.expires > today && (w.kernel === undefined || new RegExp(w.kernel).test(kernelRelease))).map((w) => ({ w, id: idPatternRegExp(w.id) }));
  }

  /**
   * Set or clear a result's waiver to match its status now: a failed or errored test with an ID a
   * live waiver names is waived; so is a failed hook whose stopped tests (their IDs in `stopped`)
   * are every one waived, since it fails nothing the waivers do not already accept.
   */
  mark(r: TestResult, stopped?: readonly string[]): void {
    const find = (id: string) => this.live.find((x) => x.id.test(id))?.w;
    let w: Waiver | undefined;
    if (r.status === 'failed' || r.status === 'error') {
      if (r.id) w = find(r.id);
      else if (stopped?.length && stopped.every((id) => find(id))) w = find(stopped[0]!);
    }
    if (w) r.waiver = { reason: w.reason, expires: w.expires };
    else delete r.waiver;
  }
}
