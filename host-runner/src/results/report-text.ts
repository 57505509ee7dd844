/**
 * Text from tests (names, skip reasons, failure messages, logs, a kernel's release string) made
 * safe for the formats the reports are written in. Every report writer goes through here, so a
 * hostile or merely odd test name cannot split a KTAP line, start a directive, or make the JUnit
 * file unparsable.
 *
 * Control characters are not dropped but shown (`\x1b`, `\u2028`): the report keeps what the
 * text said. Shown are C0 (but tab and line feed where a format allows them), DEL, C1, the line
 * and paragraph separators, the noncharacters U+FFFE/U+FFFF and lone UTF-16 surrogates (which
 * cannot be encoded in UTF-8 at all).
 */

// Each alternative consumes one code unit or one valid surrogate pair: no backtracking.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Line ends: CR LF, CR, LF, and the ones Unicode adds (NEL, LS, PS) as well as VT and FF. */
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/;

function shown(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `s` with every unsafe character (see the top) except those in `keep` shown as an escape. */
function showUnsafe(s: string, keep: string): string {
  return s.replace(UNSAFE, (c) => (keep.includes(c) ? c : shown(c)));
}

/** The lines of `s`, split at every kind of line break, each free of control characters (tabs become spaces). */
export function safeLines(s: string): string[] {
  return s.split(LINE_BREAK).map((l) => showUnsafe(l.replace(/\t/g, ' '), ''));
}

/** `s` on one line: line breaks become ` / `, other control characters are shown. */
export function oneLine(s: string): string {
  return safeLines(s).join(' / ');
}

/**
 * Phrases Linux's KTAP parser (tools/testing/kunit/kunit_parser.py) acts on wherever they are:
 * a `# Subtest:` diagnostic opens a nested test, and the others (the kernel's last words) end
 * the KTAP output. Their first colon becomes the full-width `：` (U+FF1A) in KTAP text.
 */
const KUNIT_MARKERS = /Subtest:|List of all partitions:|Kernel panic - not syncing: VFS:|reboot: System halted/g;

function defuseMarkers(s: string): string {
  return s.replace(KUNIT_MARKERS, (m) => m.replace(':', '\uff1a'));
}

/**
 * A KTAP test description or directive text: one line, no `#` (which starts a directive in
 * KTAP and TAP; it becomes the full-width `＃`, U+FF03), no leading or trailing white space.
 */
export function ktapText(s: string): string {
  return defuseMarkers(oneLine(s).replace(/#/g, '\uff03')).trim();
}

/** KTAP diagnostic lines (`# text`) for `s`, one per line of it; none for empty text. */
export function ktapDiagnostics(s: string): string[] {
  if (s === '') return [];
  return safeLines(s).map((l) => (l === '' ? '#' : `# ${defuseMarkers(l)}`));
}

/** Escape the five XML specials. */
function xmlSpecials(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Text for XML (and HTML) element content: the specials escaped, tab and line feed kept, CR as
 * `&#13;` (a parser turns a literal CR LF into LF), every character XML 1.0 forbids even as a
 * reference (`&#1;` is not well-formed) shown as an escape instead.
 */
export function xmlText(s: string): string {
  return xmlSpecials(showUnsafe(s, '\t\n\r')).replace(/\r/g, '&#13;');
}

/**
 * Text for a double- or single-quoted XML (and HTML) attribute: as {@link xmlText}, and tab, line
 * feed and CR as character references, which survive a parser's attribute normalisation.
 */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
