import { patternTable } from '../../host-runner/src/oracle/pattern';
import { native, type NativeStreamPumpTally } from '../../native/lib/bindings';
import { errnoError } from '../../native/lib/errno';
import type { StreamShape } from './stream-layout';
import type { Pipeline, PipelineOutcome } from './transfer-pipeline';

/** Options of {@link runNativePump}. */
export interface NativePumpOptions {
  /** The endpoint file (open for AIO: O_NONBLOCK). */
  fd: number;
  /** true: a source (the gadget writes, IN); false: a sink (it reads and checks, OUT). */
  write: boolean;
  /** One buffer per transfer in flight (plain memory for aio, the endpoint's mappings for mmap). */
  slots: Uint8Array[];
  shape: StreamShape;
  /** Transfers in the stream (stream-layout.ts transferCount). */
  transfers: number;
  maxPacketSize: number;
  seed: number;
  /** Deadline for the whole stream (ms); on expiry it stops with a TIMEOUT error. */
  timeoutMs: number;
  /** After a stop, how long to wait for cancelled transfers to settle (ms). Default 5000. */
  settleMs?: number;
}

/** A stream end run by the addon, with its tally readable while it runs. */
export interface NativePump extends Pipeline {
  tally(): NativeStreamPumpTally;
}

/**
 * A source or sink stream end run by the addon's StreamPump (native/src/stream_pump.cc): Linux
 * AIO, pattern fill or check and CRC-32 in C++, completions reaped and slots resubmitted in one
 * io_submit per event-loop wake-up, no JavaScript per transfer. The same contract as
 * runPipeline() (transfer-pipeline.ts): transfers in stream order, lengths from
 * stream-layout.ts, the first error reported, TIMEOUT past the deadline, stop() cancels. The
 * pump's AIO context is destroyed when `done` settles, before the caller may release the slots.
 */
export function runNativePump(o: NativePumpOptions): NativePump {
  let error: (Error & { code?: string }) | undefined;
  let finished = 0;
  let wake: () => void = () => undefined;
  const ended = new Promise<void>((r) => (wake = r));
  let stopped = false;
  const pump = new (native().StreamPump)({
    fd: o.fd,
    write: o.write,
    slots: o.slots,
    transferSize: o.shape.transferSize,
    totalBytes: o.shape.totalBytes,
    transfers: o.transfers,
    maxPacketSize: o.maxPacketSize,
    pattern: patternTable(o.seed),
    onDone: (r) => {
      finished = r.finished;
      if (r.errno !== undefined) error ??= errnoError(r.errno, r.syscall ?? 'io_submit');
      else if (r.code) error ??= Object.assign(new Error(r.message ?? r.code), { code: r.code });
      wake();
    },
  });
  let settle: NodeJS.Timeout | undefined;
  const stop = (reason: Error) => {
    if (stopped) return;
    stopped = true;
    error ??= reason;
    pump.stop();
    // Cancelled transfers settle at once on FunctionFS; do not wait past settleMs for them.
    settle = setTimeout(wake, o.settleMs ?? 5000);
  };
  const timer = setTimeout(() => stop(Object.assign(new Error(`stream did not finish within ${o.timeoutMs} ms`), { code: 'TIMEOUT' })), o.timeoutMs);
  const done = (async (): Promise<PipelineOutcome> => {
    try {
      pump.start();
    } catch (err) {
      error ??= err as Error;
      wake();
    }
    await ended;
    clearTimeout(timer);
    clearTimeout(settle);
    const abandoned = pump.tally().inFlight;
    // io_destroy: cancels and waits for anything still in flight, so the slots are free after.
    pump.close();
    return { finished, ...(error ? { error } : {}), abandoned };
  })();
  return { done, stop, tally: () => pump.tally() };
}
