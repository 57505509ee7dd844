/**
 * What a fault test reports: one line a person reads in a CI log, never a stack trace. Errors
 * from the agent client, node usb and the kernel come in many shapes; these helpers make one
 * line of any of them and check that a message already is one.
 */

/** Longest summary kept (characters); longer ones end with an ellipsis. */
const MAX = 400;

/** The first line of an error's message (or of String(err)), with its code in front when the message lacks it. */
export function oneLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  let msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  msg = msg.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && !msg.includes(code)) msg = `${code}: ${msg}`;
  return msg.length > MAX ? `${msg.slice(0, MAX - 1)}…` : msg;
}

/** True when `msg` is a single line that holds no stack frame (`at fn (file:1:2)`). */
export function isOneLine(msg: string): boolean {
  return msg.length > 0 && !/[\r\n]/.test(msg) && !/\bat \S+ \(?\S+:\d+:\d+\)?/.test(msg);
}

/** `key:count` pairs, largest first: a compact outcome summary (`ESHUTDOWN:60 ECONNRESET:4`). */
export function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
}
