import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Debian's kernel source, which carries tools/testing/kunit/kunit_parser.py. */
export const KERNEL_SOURCE = '/usr/src/linux-source-6.12.tar.xz';

/** Is python3 here? */
export function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { encoding: 'utf8' }).status === 0;
}

/** tools/testing/kunit of the kernel source, extracted once into the temp dir; undefined when the tarball is absent. */
function kunitDir(): string | undefined {
  const dest = path.join(os.tmpdir(), 'ffs-lab-kunit-6.12');
  const dir = path.join(dest, 'linux-source-6.12', 'tools', 'testing', 'kunit');
  if (fs.existsSync(path.join(dir, 'kunit_parser.py'))) return dir;
  if (!fs.existsSync(KERNEL_SOURCE)) return undefined;
  const partial = `${dest}.${process.pid}`;
  fs.mkdirSync(partial, { recursive: true });
  const r = spawnSync('tar', ['-xJf', KERNEL_SOURCE, '-C', partial, '--wildcards', '*/tools/testing/kunit/*'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(partial, dest);
  return dir;
}

/** Linux's own KTAP parser on a file, read as `kunit.py parse` reads it: the counts and each test's status. */
const KUNIT_PARSE = `
import json, sys
sys.path.insert(0, sys.argv[1])
import kunit_parser
with open(sys.argv[2], 'r', errors='backslashreplace') as f:
    test = kunit_parser.parse_run_tests(f)
c = test.counts
print('ffs-lab-json', json.dumps({'passed': c.passed, 'failed': c.failed, 'crashed': c.crashed, 'skipped': c.skipped, 'errors': c.errors,
                  'status': test.status.name, 'tests': [t.status.name for t in test.subtests]}))
`;

/** What kunit_parser.py made of a KTAP file. */
export interface KunitCounts {
  passed: number;
  failed: number;
  crashed: number;
  skipped: number;
  errors: number;
  status: string;
  tests: string[];
}

/**
 * Parse a KTAP file with Linux's kunit_parser.py: the counts, or why it cannot run here (a
 * string: no python3, no kernel source). Bounded in time: kunit_parser loops for ever on some
 * malformed input (a plan after the results), which must fail the test, not hang it.
 */
export function kunitParse(file: string): KunitCounts | string {
  if (!hasPython()) return 'python3 is not installed';
  const kunit = kunitDir();
  if (!kunit) return `${KERNEL_SOURCE} is absent (Debian's linux-source-6.12 has kunit_parser.py)`;
  const r = spawnSync('python3', ['-c', KUNIT_PARSE, kunit, file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kunit_parser.py failed (${r.signal ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).slice(-500)}`);
  const line = r.stdout.split('\n').filter((l) => l.startsWith('ffs-lab-json ')).pop();
  if (!line) throw new Error(`kunit_parser.py gave no counts: ${r.stdout.slice(-500)}`);
  return JSON.parse(line.slice('ffs-lab-json '.length)) as KunitCounts;
}
