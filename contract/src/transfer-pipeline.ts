/**
 * The queueing core of a stream, shared by the agent and the host engine: keep up to `depth`
 * transfers in flight on a fixed set of slots (buffers are reused, so memory stays flat however
 * long the stream), start them in stream order, and hand completions over in stream order.
 *
 * Each slot runs: take the next transfer index k -> `start(slot, k)` (synchronous up to the
 * actual submission, so submissions happen in k order) -> await its completion -> wait for its
 * turn -> `finish(slot, k, actual)` (called in k order; may return a promise, e.g. echo's write,
 * which the slot awaits before it is reused) -> next.
 */

/** What a pipeline does with its slots. */
export interface PipelineHooks<S> {
  /** Submit transfer k from/into `slot`; resolves with the bytes moved. */
  start(slot: S, k: number): Promise<number>;
  /** Called once per transfer, in k order, after it completed. */
  finish(slot: S, k: number, actual: number): void | Promise<void>;
  /** Ask everything in flight to end (io_cancel, libusb cancel); called once on abort. */
  cancel(): void;
}

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Transfers in the whole stream. */
  transfers: number;
  /** Deadline for the whole stream (ms); on expiry it aborts with a TIMEOUT error. */
  timeoutMs: number;
  /** After an abort, how long to wait for in-flight transfers to settle (ms). Default 5000. */
  settleMs?: number;
}

/** How a pipeline ended. */
export interface PipelineOutcome {
  /** Transfers handed to finish(). */
  finished: number;
  /** The first error (a failed transfer, a throwing hook, the deadline, stop()), if any. */
  error?: Error & { code?: string };
  /** Transfers still in flight when the pipeline gave up waiting after an abort. */
  abandoned: number;
}

/** A running pipeline: its outcome, and a way to stop it early. */
export interface Pipeline {
  readonly done: Promise<PipelineOutcome>;
  /** Abort: no new transfers, cancel the ones in flight, settle with `reason`. */
  stop(reason: Error): void;
}

/** Run transfers 0..transfers-1 over `slots` (one transfer in flight per slot). */
export function runPipeline<S>(slots: readonly S[], hooks: PipelineHooks<S>, opts: PipelineOptions): Pipeline {
  let next = 0;
  let turn = 0;
  let inFlight = 0;
  let error: (Error & { code?: string }) | undefined;
  let aborted = false;
  const waiting = new Map<number, () => void>();
  let wakeAborted: () => void = () => undefined;
  const abortedSignal = new Promise<void>((r) => (wakeAborted = r));

  const abort = (err: Error) => {
    if (aborted) return;
    aborted = true;
    error = err;
    for (const w of waiting.values()) w();
    waiting.clear();
    wakeAborted();
    try {
      hooks.cancel();
    } catch {
      /* the first error is the one reported */
    }
  };

  const pump = async (slot: S) => {
    while (!aborted && next < opts.transfers) {
      const k = next++;
      let actual: number;
      inFlight++;
      try {
        actual = await hooks.start(slot, k);
      } catch (err) {
        abort(err as Error);
        return;
      } finally {
        inFlight--;
      }
      // After an abort nobody wakes waiters any more: a late completion must not wait for its turn.
      if (k !== turn && !aborted) await new Promise<void>((r) => waiting.set(k, r));
      if (aborted) return;
      let after: void | Promise<void>;
      try {
        after = hooks.finish(slot, k, actual);
      } catch (err) {
        abort(err as Error);
        return;
      }
      turn = k + 1;
      waiting.get(turn)?.();
      waiting.delete(turn);
      if (after) {
        inFlight++;
        try {
          await after;
        } catch (err) {
          abort(err as Error);
          return;
        } finally {
          inFlight--;
        }
      }
    }
  };

  const timer = setTimeout(() => abort(Object.assign(new Error(`stream did not finish within ${opts.timeoutMs} ms`), { code: 'TIMEOUT' })), opts.timeoutMs);
  const all = Promise.all(slots.map(pump));
  const done = (async (): Promise<PipelineOutcome> => {
    await Promise.race([all, abortedSignal]);
    if (aborted) {
      // Cancelled transfers settle quickly; blocking copy-mode I/O may not until the function is disabled.
      let settleTimer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((r) => (settleTimer = setTimeout(r, opts.settleMs ?? 5000)))]);
      clearTimeout(settleTimer);
    }
    clearTimeout(timer);
    return { finished: turn, ...(error ? { error } : {}), abandoned: inFlight };
  })();
  return { done, stop: abort };
}
