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
  fs.mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string) => {
    const file = path.join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  };
  put('junit.xml', toJUnitXml(run));
  put('results.ktap', toKtap(run));
  // Last: its presence says the reports are complete.
  put('results.json', JSON.stringify(run, null, 2) + '\n');
}
