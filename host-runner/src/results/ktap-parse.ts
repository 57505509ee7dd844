/** One test case of a KTAP/TAP stream. */
export interface KtapCase {
  number: number;
  name: string;
  status: 'pass' | 'fail' | 'skip' | 'xfail';
  /** The directive's text (`# SKIP reason`, `# XFAIL reason`), when any. */
  reason?: string;
  /** `#` lines printed since the previous result line (the harness's own output for this case). */
  diagnostics: string[];
}

/** A parsed top-level KTAP stream (kselftest harness output). */
export interface KtapResult {
  /** From the `1..N` plan line; undefined when the stream has none (it crashed before the plan). */
  planned?: number;
  cases: KtapCase[];
  /** `Bail out!` text, when the producer gave up. */
  bailOut?: string;
}

const RESULT = /^(ok|not ok)\s+(\d+)\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(SKIP|TODO|XFAIL)\b\s*(.*))?$/i;

/**
 * Parse the top level of a KTAP (or TAP 13) stream: the plan, every result line with the
 * diagnostics before it, a bail-out. Nested (indented) subtests are kept as diagnostics of their
 * parent, which is what kselftest's harness prints for fixtures.
 */
export function parseKtap(text: string): KtapResult {
  const out: KtapResult = { cases: [] };
  let diagnostics: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s+\S/.test(line)) {
      diagnostics.push(line.trim());
      continue;
    }
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      out.planned = Number(plan[1]);
      continue;
    }
    const bail = /^Bail out!\s*(.*)$/.exec(line);
    if (bail) {
      out.bailOut = bail[1] || 'no reason given';
      continue;
    }
    const m = RESULT.exec(line);
    if (m) {
      const directive = m[4]?.toUpperCase();
      const passed = m[1]!.toLowerCase() === 'ok';
      const status: KtapCase['status'] = directive === 'SKIP' ? 'skip' : directive === 'XFAIL' ? 'xfail' : passed ? 'pass' : 'fail';
      out.cases.push({ number: Number(m[2]), name: m[3]!.trim(), status, ...(directive ? { reason: (m[5] ?? '').trim() } : {}), diagnostics });
      diagnostics = [];
      continue;
    }
    if (line.startsWith('#')) diagnostics.push(line.replace(/^#\s?/, ''));
  }
  return out;
}
