/** One test case of a KTAP/TAP stream. */
export interface KtapCase {
  number: number;
  name: string;
  status: 'pass' | 'fail' | 'skip' | 'xfail';
  /** The directive's text (`# SKIP reason`, `# XFAIL reason`, `# ERROR reason`, `# TIMEOUT reason`), when any. */
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

/** A directive word at the start of the text after a result line's `#`. */
const DIRECTIVE = /^(SKIP|TODO|XFAIL|ERROR|TIMEOUT)\b/i;

/*
 * The stream is untrusted program output: every line is taken apart by index scans and anchored
 * regular expressions with nothing to backtrack over, so parsing is linear in the input's size
 * (a regex like `([^#]*?)\s*(#...)?$` takes minutes on a result line with 40,000 spaces).
 */

function isSpace(c: string | undefined): boolean {
  return c !== undefined && c.trim() === '';
}

/** Index of the first character at or after `i` that is not white space. */
function skipSpace(line: string, i: number): number {
  while (i < line.length && isSpace(line[i])) i++;
  return i;
}

/** A result line (`ok N [-] name [# DIRECTIVE reason]`, `not ok ...`, any case) as a case without diagnostics. */
function resultOf(line: string): Omit<KtapCase, 'diagnostics'> | undefined {
  const lower = line.slice(0, 6).toLowerCase();
  const passed = lower.startsWith('ok');
  if (!passed && !lower.startsWith('not ok')) return undefined;
  let i = passed ? 2 : 6;
  if (!isSpace(line[i])) return undefined;
  i = skipSpace(line, i);
  const digits = i;
  while (i < line.length && line[i]! >= '0' && line[i]! <= '9') i++;
  if (i === digits) return undefined;
  const number = Number(line.slice(digits, i));
  i = skipSpace(line, i);
  if (line[i] === '-') i = skipSpace(line, i + 1);
  const hash = line.indexOf('#', i);
  const name = (hash < 0 ? line.slice(i) : line.slice(i, hash)).trim();
  // A `#` without a directive word is a comment: the line is still a result.
  const after = hash < 0 ? '' : line.slice(hash + 1).trimStart();
  const word = DIRECTIVE.exec(after)?.[1]?.toUpperCase();
  const status: KtapCase['status'] = word === 'SKIP' ? 'skip' : word === 'XFAIL' ? 'xfail' : passed ? 'pass' : 'fail';
  return { number, name, status, ...(word ? { reason: after.slice(word.length).trim() } : {}) };
}

/**
 * Parse the top level of a KTAP (or TAP 13) stream: the plan, every result line with the
 * diagnostics before it, a bail-out. Nested (indented) subtests are kept as diagnostics of their
 * parent, which is what kselftest's harness prints for fixtures. Linear in the text's length.
 */
export function parseKtap(text: string): KtapResult {
  const out: KtapResult = { cases: [] };
  let diagnostics: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (isSpace(line[0])) {
      const trimmed = line.trim();
      if (trimmed !== '') diagnostics.push(trimmed);
      continue;
    }
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      out.planned = Number(plan[1]);
      continue;
    }
    if (line.startsWith('Bail out!')) {
      out.bailOut = line.slice('Bail out!'.length).trim() || 'no reason given';
      continue;
    }
    const result = resultOf(line);
    if (result) {
      out.cases.push({ ...result, diagnostics });
      diagnostics = [];
      continue;
    }
    if (line.startsWith('#')) diagnostics.push(line.slice(line[1] !== undefined && isSpace(line[1]) ? 2 : 1));
  }
  return out;
}
