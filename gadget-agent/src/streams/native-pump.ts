import { patternTable } from '@ffs-lab/contract/pattern';
import { packetPatternTable, type PacketPatternName } from '@ffs-lab/contract/packet-pattern';
import { native, type NativeStreamPumpTally } from '@ffs-lab/native/bindings';
import { errnoError } from '@ffs-lab/native/errno';
import type { StreamShape } from '@ffs-lab/contract/stream-layout';
import type { Pipeline, PipelineOutcome } from '@ffs-lab/contract/transfer-pipeline';

/** Options of {@link runNativePump}. */
export interface NativePumpOptions {
  /**
   * The addon's pump, each on a thread of its own: aio: Linux AIO (aio and mmap modes);
   * copy: blocking read/write, one slot; dmabuf: DMABUF transfers and their fences.
   */
  engine: 'aio' | 'copy' | 'dmabuf';
  /** dmabuf: the dma-buf fd of each slot (DmabufIo.dmabufFd). */
  dmabufFds?: number[];
  /** The endpoint file: O_NONBLOCK for aio, blocking for copy. */
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
  /** Gadget Zero's data instead of the seed's (packet-pattern.ts): fill and check per packet, any received length. */
  packetPattern?: PacketPatternName;
  /** Deadline for the whole stream (ms); on expiry it stops with a TIMEOUT error. */
  timeoutMs: number;
  /**
   * After a stop, how long cancelled transfers may take to settle (ms, default 2000): past it the
   * stream ends at once with TRANSFERS_STUCK, naming how many are left in the kernel.
   */
  settleMs?: number;
  /** false: stop() does not interrupt the pump's thread (tests: a transfer a cancel cannot end). Default true. */
  interruptOnStop?: boolean;
}

/** A stream end run by the addon, with its tally readable while it runs. */
export interface NativePump extends Pipeline {
  tally(): NativeStreamPumpTally;
}

/**
 * A source or sink stream end run by the addon, each pump on a thread of its own: StreamPump
 * (native/src/stream_pump.cc: Linux AIO, completions reaped by io_getevents and slots resubmitted
 * in one io_submit), CopyPump (copy_pump.cc: blocking write()/read()) or DmabufPump
 * (dmabuf_pump.cc: DMABUF transfers completed by their fences); pattern fill or check and
 * CRC-32 in C++, no JavaScript per transfer. The same contract as
 * runPipeline() (transfer-pipeline.ts): transfers in stream order, lengths from
 * stream-layout.ts, the first error reported, TIMEOUT past the deadline, stop() cancels. `done`
 * settles at most settleMs after a stop (or the deadline), even when the kernel keeps transfers:
 * the pump's thread then keeps the slots (mappings are unmapped only once it lets go), its
 * descriptor dup and its AIO context until they come back, and `abandoned` counts them.
 */
export function runNativePump(o: NativePumpOptions): NativePump {
  let error: (Error & { code?: string }) | undefined;
  let finished = 0;
  let wake: () => void = () => undefined;
  const ended = new Promise<void>((r) => (wake = r));
  let stopped = false;
  const n = native();
  const Pump = o.engine === 'aio' ? n.StreamPump : o.engine === 'copy' ? n.CopyPump : n.DmabufPump;
  const pump = new Pump({
    dmabufFds: o.dmabufFds ?? [],
    fd: o.fd,
    write: o.write,
    slots: o.slots,
    transferSize: o.shape.transferSize,
    totalBytes: o.shape.totalBytes,
    transfers: o.transfers,
    maxPacketSize: o.maxPacketSize,
    pattern: o.packetPattern ? packetPatternTable(o.packetPattern, o.maxPacketSize) : patternTable(o.seed),
    packetPattern: o.packetPattern !== undefined,
    ...(o.settleMs !== undefined ? { settleMs: o.settleMs } : {}),
    ...(o.interruptOnStop !== undefined ? { interruptOnStop: o.interruptOnStop } : {}),
    onDone: (r) => {
      finished = r.finished;
      if (r.code === 'TRANSFERS_STUCK') error = Object.assign(new Error(error ? `${error.message}; ${r.message}` : r.message), { code: r.code });
      else if (r.errno !== undefined) error ??= errnoError(r.errno, r.syscall ?? 'io_submit');
      else if (r.code) error ??= Object.assign(new Error(r.message ?? r.code), { code: r.code });
      wake();
    },
  });
  const stop = (reason: Error) => {
    if (stopped) return;
    stopped = true;
    error ??= reason;
    // The pump interrupts its thread's blocking call and ends within settleMs, stuck or not.
    pump.stop();
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
    const abandoned = pump.tally().inFlight;
    // Returns at once; a thread still waiting for stuck transfers keeps what they use.
    pump.close();
    return { finished, ...(error ? { error } : {}), abandoned };
  })();
  return { done, stop, tally: () => pump.tally() };
}
