import { infraError } from '@ffs-lab/contract/exit-codes';
import { SshNotUpError } from './ssh-login';
import type { Transport } from './transport';

/** Options of {@link waitForSsh}. */
export interface WaitForSsh {
  /** Give up after this long: ms. */
  deadlineMs: number;
  /** Progress lines (first failure, then about every 10 s, then success). */
  say: (line: string) => void;
  /** First pause between attempts: ms, doubling up to {@link maxPauseMs}. Default 500. */
  firstPauseMs?: number;
  /** Longest pause between attempts: ms. Default 5000. */
  maxPauseMs?: number;
}

/**
 * Wait until a freshly made transport connects: a board that is still booting after a power
 * cycle. Only "not up yet" failures (SshNotUpError: refused, unreachable, no banner or login in
 * time, dropped in the handshake, a jump host that cannot connect yet) are retried, with
 * backoff; a changed host key, a failed login or a bad option ends the wait at once. Each
 * attempt is its own connection, closed again: the caller's sessions start fresh afterwards.
 * Throws LabError exit 3 with the last error when the deadline passes (an attempt under way then
 * finishes first: at most the connect timeout later).
 */
export async function waitForSsh(makeTransport: () => Transport, o: WaitForSsh): Promise<void> {
  const started = Date.now();
  const deadline = started + o.deadlineMs;
  let pause = o.firstPauseMs ?? 500;
  let attempts = 0;
  let lastSaid = -Infinity;
  for (;;) {
    attempts++;
    const t = makeTransport();
    const where = t.description;
    // Each attempt is bounded by the transport's own connect timeout (connectTimeoutMs).
    const error = await t.connect().then(() => undefined, (err: unknown) => err);
    await t.close().catch(() => undefined);
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (error === undefined) {
      if (attempts > 1) o.say(`SSH on ${where} is up after ${elapsed} s (${attempts} attempts)`);
      return;
    }
    if (!(error instanceof SshNotUpError)) throw error;
    if (Date.now() >= deadline) {
      throw infraError(
        `no SSH login on ${where} within ${Math.round(o.deadlineMs / 1000)} s (${attempts} attempt${attempts === 1 ? '' : 's'}); last error: ${error.message}`,
        error.hint ?? 'is the board powered, booted and on the network?',
      );
    }
    if (Date.now() - lastSaid >= 10_000) {
      o.say(`waiting for SSH on ${where}: ${error.message} (${elapsed} s of ${Math.round(o.deadlineMs / 1000)} s, attempt ${attempts})`);
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, Math.min(pause, deadline - Date.now())));
    pause = Math.min(pause * 2, o.maxPauseMs ?? 5_000);
  }
}
