import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResults } from './results';
import { toJUnitXml } from './junit-xml';
import { toKtap } from './ktap';

/** Write results.json, junit.xml and results.ktap into `dir` (created). */
export function writeReports(dir: string, run: RunResults): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(run, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'junit.xml'), toJUnitXml(run));
  fs.writeFileSync(path.join(dir, 'results.ktap'), toKtap(run));
}
