import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResults } from './results';
import { toJUnitXml } from './junit-xml';
import { toKtap } from './ktap';

/**
 * Write results.json, junit.xml and results.ktap into `dir` (created). Each file is written
 * beside its name and renamed over it: a run killed mid-write leaves the old file or the new
 * one, never half of one (a half results.json would hide the journal's results).
 */
export function writeReports(dir: string, run: RunResults): void {
  writePartialReports(dir, run);
  // Last: its presence says the reports are complete.
  put(dir, 'results.json', JSON.stringify(run, null, 2) + '\n');
}

/**
 * Write junit.xml and results.ktap of the tests so far (a run still going: results.json, whose
 * presence says the reports are complete, is not written), each replacing the last atomically.
 */
export function writePartialReports(dir: string, run: RunResults): void {
  fs.mkdirSync(dir, { recursive: true });
  put(dir, 'junit.xml', toJUnitXml(run));
  put(dir, 'results.ktap', toKtap(run));
}

function put(dir: string, name: string, text: string): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
