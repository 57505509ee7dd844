/** The kinds of kernel report the health check looks for. */
export type KernelReportKind = 'kasan' | 'kcsan' | 'lockdep' | 'dma-api' | 'warning' | 'bug' | 'hung-task' | 'ubsan' | 'kmemleak';

/** One report found in the kernel log: its kind, the line that starts it and the lines after. */
export interface KernelReport {
  kind: KernelReportKind;
  /** The first line, without the timestamp. */
  title: string;
  /** Up to 40 lines from the first one (the call trace, usually). */
  excerpt: string[];
}

/** Tests one line of the kernel log. */
interface LineTest {
  test(line: string): boolean;
}

/**
 * `first`, then `then` later on the line. The kernel log is untrusted text: `first.*then` as a
 * regular expression backtracks over the rest of the line at every occurrence of `first`
 * (quadratic on a line that repeats it); two index scans are linear.
 */
function inOrder(first: string, then: string): LineTest {
  return {
    test(line) {
      const at = line.indexOf(first);
      return at >= 0 && line.indexOf(then, at + first.length) >= 0;
    },
  };
}

/** Either test. */
function either(a: LineTest, b: LineTest): LineTest {
  return { test: (line) => a.test(line) || b.test(line) };
}

/**
 * First lines of the kernel's report formats (mm/kasan/report.c, kernel/locking/lockdep.c,
 * panic.c, ...). Literal text and alternatives only: linear on any line.
 */
const STARTS: ReadonlyArray<[KernelReportKind, LineTest]> = [
  ['kasan', /BUG: KASAN: /],
  // kernel/kcsan/report.c: "BUG: KCSAN: data-race in <fn> / <fn>" (or "in <fn>+0x../0x..").
  ['kcsan', /BUG: KCSAN: /],
  ['lockdep', /WARNING: (possible circular locking dependency|possible recursive locking|inconsistent lock state|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning to user space)/],
  ['lockdep', either(/BUG: (sleeping function called from invalid context|scheduling while atomic|workqueue lockup)/, inOrder('BUG: spinlock ', ' on CPU'))],
  ['ubsan', /UBSAN: /],
  // kernel/dma/debug.c's err_printk: "DMA-API: <driver> <device>: <what>" (its boot notes have no such colon).
  ['dma-api', /DMA-API: \S+ \S+: /],
  ['hung-task', inOrder('INFO: task ', ' blocked for more than')],
  ['bug', /(kernel BUG at|BUG: (unable to handle|kernel NULL pointer)|Oops: |general protection fault|Kernel panic)/],
  ['warning', /WARNING: CPU: \d+ PID: \d+ at /],
];

/**
 * Functions of the code under test: FunctionFS (f_fs.c names its functions ffs_*, __ffs_* and
 * functionfs_*) and the lab's dummy_hcd (dummy_*).
 */
const CODE_UNDER_TEST = /^_*(ffs|functionfs|dummy)_/;

/**
 * A KCSAN report whose title names no function of the code under test: a data race elsewhere in
 * the kernel (KCSAN instruments all of it), which the lab lists but does not fail on.
 */
export function isRaceElsewhere(r: KernelReport): boolean {
  if (r.kind !== 'kcsan') return false;
  const fns = (/ in (.+)$/.exec(r.title)?.[1] ?? '').split(' / ').map((f) => f.trim());
  return !fns.some((f) => CODE_UNDER_TEST.test(f));
}

const TIMESTAMP = /^\[\s*\d+\.\d+\]\s?/;
const EXCERPT_LINES = 40;

/** Reports in a kernel log (`dmesg` output); the first matching kind wins for each line. */
export function scanKernelLog(dmesg: string): KernelReport[] {
  const lines = dmesg.split('\n').map((l) => l.replace(TIMESTAMP, ''));
  const reports: KernelReport[] = [];
  lines.forEach((line, i) => {
    const hit = STARTS.find(([, re]) => re.test(line));
    if (hit) reports.push({ kind: hit[0], title: line.trim(), excerpt: lines.slice(i, i + EXCERPT_LINES) });
  });
  return reports;
}

/** Leak reports in /sys/kernel/debug/kmemleak's text (`unreferenced object 0x... (size N):`). */
export function scanKmemleak(report: string): KernelReport[] {
  const lines = report.split('\n');
  const out: KernelReport[] = [];
  lines.forEach((line, i) => {
    if (/^unreferenced object /.test(line)) out.push({ kind: 'kmemleak', title: line.trim(), excerpt: lines.slice(i, i + 20) });
  });
  return out;
}
