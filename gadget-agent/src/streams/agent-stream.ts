import * as fs from 'node:fs';
import { openEndpoint } from '@ffs-lab/native/open-endpoint';
import { packetPatternTable } from '@ffs-lab/contract/packet-pattern';
import { DmabufIo } from '@ffs-lab/native/dmabuf-io';
import type { EndpointIo } from '@ffs-lab/native/endpoint-io';
import { AgentError, toAgentError } from '../session/agent-error';
import type { StreamReport } from '@ffs-lab/contract/protocol';
import type { ValidStreamParams } from './stream-params';
import { effectiveDepth, expectedLength, receiveLength, slotBytes, transferCount } from '@ffs-lab/contract/stream-layout';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { runNativePump, type NativePump } from './native-pump';
import { runPipeline, type Pipeline, type PipelineHooks } from '@ffs-lab/contract/transfer-pipeline';

/** Endpoint files a stream uses (paths in the FunctionFS mount). */
export interface StreamEndpoints {
  /** IN endpoint file (source, echo). */
  inPath?: string;
  /** OUT endpoint file (sink, echo). */
  outPath?: string;
  /** Resolves once the host has enabled the function (the stream waits for it before any I/O). */
  enabled: () => Promise<void>;
  /** ENABLE events so far (a Gadget Zero stream restarts only after a new one). */
  enableCount: () => number;
  /** Resolves once an ENABLE after the first `count` has come; rejects after `timeoutMs`. */
  enabledAfter: (count: number, timeoutMs: number) => Promise<void>;
}

/** How a pump ends when the host disables the function under it (f_fs: ESHUTDOWN; copy_pump.cc: EAGAIN). */
const ENDPOINT_DISABLED = new Set(['ESHUTDOWN', 'EAGAIN', 'ECONNRESET']);
/** A Gadget Zero run that ended sooner than this after its start is followed by a pause of the rest (ms). */
const RESTART_BACKOFF_MS = 100;

/** Sample RSS this often while a stream runs (ms): a /proc read, too dear per transfer on TCG. */
const RSS_SAMPLE_MS = 100;

interface Slot {
  /** Receive buffer (sink, echo), from the OUT endpoint's allocate(). */
  rx: Uint8Array | undefined;
  /** Send buffer (source, echo), from the IN endpoint's allocate(); echo in copy/aio mode shares rx. */
  tx: Uint8Array | undefined;
}

/**
 * One stream on the gadget, run in the background over one I/O mode of native/: source (pattern
 * to the host on IN), sink (pattern from the host on OUT, every byte checked), echo (OUT read,
 * checked, written back on IN). Transfer lengths follow stream-layout.ts exactly.
 *
 * Buffers: `depth` slots allocated once from the endpoint's I/O mode (so mmap/dmabuf buffers are
 * device memory) and reused; nothing grows with the stream's length. Echo copies each received
 * transfer into its IN buffer in mmap/dmabuf mode (buffers belong to one endpoint file).
 *
 * Copy mode keeps one transfer in flight whatever the depth: concurrent blocking read()/write()
 * calls on one endpoint file run on different pool threads and take the file's mutex in any
 * order, so the stream order would not hold. Sources and sinks run in the addon
 * (native-pump.ts: no JavaScript per transfer); echo runs on the transfer pipeline here (see
 * run() for the measured reason). dmabuf gives no byte count on completion: a transfer counts
 * as its posted length (lengths are not verified, bytes are), and it cannot send or receive
 * zero-length transfers.
 *
 * Lifecycle: start() -> (wait()/report()/stop()) -> settled. Endpoint files are closed and buffers
 * released on every exit path.
 */
export class AgentStream {
  private state: StreamReport['state'] = 'running';
  private error: { code: string; message: string } | undefined;
  private readonly sentTally: StreamTally | undefined;
  private readonly receivedTally: StreamTally | undefined;
  private pipeline: Pipeline | undefined;
  /** Set when the addon runs this stream (any source or sink; echo runs on the pipeline): the tallies are its counts. */
  private pump: NativePump | undefined;
  private stopReason: Error | undefined;
  /** Resolves when stop() is called. */
  private readonly stopped: Promise<void>;
  private markStopped: () => void = () => undefined;
  /** Times a Gadget Zero stream started again after the host disabled the function. */
  private restarts = 0;
  /** ENABLE events when the current run started, and when (Date.now()): see reenabled(). */
  private runEnables = 0;
  private runStarted = 0;
  /** The counts of a Gadget Zero stream's earlier runs (its tally adds the current run's). */
  private earlierRuns = { bytes: 0, transfers: 0, badTransfers: 0 };
  private maxPacketSize = 0;
  private started = 0n;
  private ended = 0n;
  private cpuStart = process.cpuUsage();
  private cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private rssStart = process.memoryUsage.rss();
  private rssPeak = this.rssStart;
  /** Transfers still in flight after the stream ended (blocking copy-mode I/O cannot be cancelled). */
  abandoned = 0;
  /** The depth the stream really keeps in flight (known once its endpoints are open). */
  depth: number;
  /** Settles (never rejects) when the stream has ended and released everything. */
  readonly settled: Promise<void>;
  /**
   * Settles (never rejects) once this end is prepared (enabled, files open, buffers allocated)
   * and its first transfers are queued, or once the stream has ended without getting there.
   */
  readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  private constructor(readonly id: number, readonly params: ValidStreamParams, private readonly ends: StreamEndpoints, private readonly log: (line: string) => void) {
    const p = params;
    if (p.mode === 'dmabuf' && p.transferSize === 0) throw new AgentError('BAD_REQUEST', 'stream.start: dmabuf cannot move zero-length transfers (FUNCTIONFS_DMABUF_TRANSFER refuses length 0)');
    if (p.pattern && p.kind === 'echo') throw new AgentError('BAD_REQUEST', "stream.start: Gadget Zero's patterns are for source and sink streams");
    if (p.kind !== 'sink') this.sentTally = new StreamTally(p, p.seed);
    if (p.kind !== 'source') this.receivedTally = new StreamTally(p, p.seed);
    this.depth = p.mode === 'copy' ? 1 : p.depth;
    this.ready = new Promise<void>((r) => (this.markReady = r));
    this.stopped = new Promise<void>((r) => (this.markStopped = r));
    this.settled = this.run()
      .catch((err) => this.fail(err))
      .finally(() => this.markReady());
  }

  /** Start a stream; I/O begins once the function is enabled. Throws BAD_REQUEST for params the mode cannot do. */
  static start(id: number, params: ValidStreamParams, ends: StreamEndpoints, log: (line: string) => void): AgentStream {
    return new AgentStream(id, params, ends, log);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** The report now; final once the stream has ended. */
  report(): StreamReport {
    this.syncPumpTally();
    const p = this.params;
    const now = this.ended || (this.started ? process.hrtime.bigint() : 0n);
    const cpu = this.running ? process.cpuUsage(this.cpuStart) : this.cpu;
    return {
      id: this.id,
      kind: p.kind,
      mode: p.mode,
      state: this.state,
      shape: { transferSize: p.transferSize, totalBytes: p.totalBytes, ...(p.transfers !== undefined ? { transfers: p.transfers } : {}) },
      plannedTransfers: transferCount(p),
      depth: this.depth,
      maxPacketSize: this.maxPacketSize,
      ...(this.sentTally ? { sent: this.sentTally.report() } : {}),
      ...(this.receivedTally ? { received: this.receivedTally.report() } : {}),
      ...(this.error ? { error: this.error } : {}),
      elapsedMs: this.started ? Number(now - this.started) / 1e6 : 0,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      rssStartBytes: this.rssStart,
      rssPeakBytes: this.rssPeak,
    };
  }

  /** Wait until the stream ends, at most `timeoutMs`; TIMEOUT error otherwise (the stream keeps running). */
  async wait(timeoutMs: number): Promise<StreamReport> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const r = await Promise.race([this.settled.then(() => 'done' as const), expired]);
    clearTimeout(timer);
    if (r === 'timeout') throw new AgentError('TIMEOUT', `stream ${this.id} still running after ${timeoutMs} ms (${this.progress()})`);
    return this.report();
  }

  /** Abort: cancel what is in flight, release everything, return the final report. */
  async stop(reason = 'stopped by stream.stop'): Promise<StreamReport> {
    if (this.running) {
      this.stopReason = Object.assign(new Error(reason), { code: 'STOPPED' });
      this.markStopped();
      this.pipeline?.stop(this.stopReason);
    }
    await this.settled;
    return this.report();
  }

  private progress(): string {
    this.syncPumpTally();
    const t = this.receivedTally ?? this.sentTally!;
    return `${t.transfers}/${transferCount(this.params)} transfers, ${t.bytes} bytes`;
  }

  /** Copy the pump's counts (after those of earlier runs) into this end's tally (no-op for pipeline streams). */
  private syncPumpTally(): void {
    if (!this.pump) return;
    const t = this.pump.tally();
    const b = this.earlierRuns;
    (this.receivedTally ?? this.sentTally)!.mirror({
      ...t,
      bytes: b.bytes + t.bytes,
      transfers: b.transfers + t.transfers,
      badTransfers: b.badTransfers + t.badTransfers,
      firstBadOffset: t.firstBadOffset === null ? null : b.bytes + t.firstBadOffset,
    });
  }

  private async run(): Promise<void> {
    // A Gadget Zero stream starts again whenever the host re-enables the function, as
    // f_sourcesink requeues its requests in set_alt(): usbtest's host side disables and enables it.
    while (await this.runOnce()) {
      this.restarts++;
      this.log(`stream ${this.id} (${this.params.kind} ${this.params.mode}, pattern ${this.params.pattern}): the host disabled the function; starting again at its next enable (restart ${this.restarts})`);
    }
  }

  /** One run of the stream on freshly opened endpoint files; true when it is to run again (see run()). */
  private async runOnce(): Promise<boolean> {
    const p = this.params;
    const ios: EndpointIo[] = [];
    try {
      // Counted before any wait: an ENABLE that comes later (even before the files open) is newer.
      if (this.restarts === 0) {
        this.runEnables = this.ends.enableCount();
        await withTimeout(Promise.race([this.ends.enabled(), this.stopped]), Math.min(p.timeoutMs, 10_000), 'the host did not enable the function');
      } else {
        await this.reenabled();
        this.runEnables = this.ends.enableCount();
      }
      if (this.stopReason && p.pattern) {
        // Stopped before it moved anything (or between runs): a Gadget Zero's normal end.
        this.state = 'done';
        return false;
      }
      if (this.stopReason) throw this.stopReason;
      this.runStarted = Date.now();
      const open = (path: string | undefined) => {
        if (!path) throw new AgentError('BAD_STATE', `the function has no ${p.kind === 'sink' ? 'OUT' : 'IN'} endpoint for a ${p.kind} stream`);
        // The copy pump wants O_NONBLOCK (copy_pump.h): a blocking call on an endpoint disabled
        // mid-stream would wait for the next bind. Echo's CopyIo overlaps calls, so it blocks.
        const nonBlocking = p.mode === 'copy' && p.kind !== 'echo' ? { nonBlocking: true } : {};
        const io = openEndpoint(path, p.mode, { depth: Math.max(1, Math.min(p.depth, 256)), ...nonBlocking });
        ios.push(io);
        return io;
      };
      const ioIn = p.kind !== 'sink' ? open(this.ends.inPath) : undefined;
      const ioOut = p.kind !== 'source' ? open(this.ends.outPath) : undefined;
      this.maxPacketSize = (ioOut ?? ioIn)!.file.descriptor().maxPacketSize;
      if (p.pattern && p.transferSize % this.maxPacketSize !== 0) {
        throw new AgentError('BAD_REQUEST', `stream.start: with pattern ${p.pattern}, transferSize ${p.transferSize} must be a multiple of the endpoint's packet size (${this.maxPacketSize})`);
      }
      const receiving = ioOut !== undefined;
      const size = slotBytes(p, receiving, this.maxPacketSize);
      const transfers = transferCount(p);
      this.depth = p.mode === 'copy' ? 1 : effectiveDepth(p.depth, transfers, size, p.maxBytesInFlight);
      const shareTx = p.kind === 'echo' && (p.mode === 'copy' || p.mode === 'aio');
      const slots: Slot[] = [];
      for (let i = 0; i < this.depth; i++) {
        const rx = ioOut?.allocate(size);
        slots.push({ rx, tx: shareTx ? rx : ioIn?.allocate(size) });
      }
      // Baselines after the buffers exist, so RSS growth means accumulation during the stream.
      if (this.restarts === 0) {
        this.rssStart = this.rssPeak = process.memoryUsage.rss();
        this.cpuStart = process.cpuUsage();
        this.started = process.hrtime.bigint();
      }
      if (p.kind !== 'echo') {
        const io = (ioIn ?? ioOut)!;
        const buffers = slots.map((s) => (s.tx ?? s.rx)!);
        // dmabuf has no byte count: a short transfer's slot is checked whole, so its tail must
        // hold the pattern already (which a packet pattern does wherever a packet starts).
        if (p.pattern && receiving && p.mode === 'dmabuf') for (const b of buffers) fillPackets(b, packetPatternTable(p.pattern, this.maxPacketSize));
        this.pipeline = this.pump = runNativePump({
          engine: p.mode === 'copy' ? 'copy' : p.mode === 'dmabuf' ? 'dmabuf' : 'aio',
          ...(io instanceof DmabufIo ? { dmabufFds: buffers.map((b) => io.dmabufFd(b)) } : {}),
          fd: io.file.fd,
          write: p.kind === 'source',
          slots: buffers,
          shape: p,
          transfers,
          maxPacketSize: this.maxPacketSize,
          seed: p.seed,
          ...(p.pattern ? { packetPattern: p.pattern } : {}),
          timeoutMs: p.timeoutMs,
        });
      } else {
        // Echo stays on the TypeScript pipeline: it moves every byte twice (OUT, then back IN), so
        // its rate is bound by the bus, not by the agent. Measured in the lab (TCG, patched 6.12,
        // 2026-12-07; the integrity suite's echo and throughput tests in one run with
        // FFS_LAB_PROFILE=nightly, where both move 64 MiB in 1 MiB transfers, depth 8): echo
        // reached 77, 94, 99 and 102 % (copy, aio, mmap, dmabuf) of 1 / (1 / source rate +
        // 1 / sink rate) of the native pumps (copy's echo keeps one transfer in flight), with
        // the agent busy 55 to 67 % of the stream; the pipeline cost 1.28 to 1.58x the CPU per
        // MiB of the pumps' source and sink together (2 to 6 ms per MiB more). A native echo
        // would save that CPU, not make echo faster. The pipeline is also the WebUSB page's
        // engine, where no addon runs.
        this.pipeline = runPipeline(slots, this.echoHooks(ioIn!, ioOut!), { transfers, timeoutMs: p.timeoutMs });
      }
      // After the pipeline exists (making it may throw); its done never rejects.
      const rssTimer = setInterval(() => (this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss())), RSS_SAMPLE_MS);
      this.markReady();
      const outcome = await this.pipeline.done;
      clearInterval(rssTimer);
      this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss());
      this.syncPumpTally();
      this.ended = process.hrtime.bigint();
      this.cpu = process.cpuUsage(this.cpuStart);
      this.abandoned = outcome.abandoned;
      if (outcome.abandoned) this.log(`stream ${this.id}: ${outcome.abandoned} transfer(s) still in flight after the abort; they end when the function is disabled`);
      if (p.pattern && outcome.error === this.stopReason) {
        // A Gadget Zero stream runs until it is stopped: that is its normal end.
        this.state = 'done';
        return false;
      }
      if (p.pattern && !this.stopReason && ENDPOINT_DISABLED.has((outcome.error as { code?: string } | undefined)?.code ?? '')) {
        const t = (this.receivedTally ?? this.sentTally)!;
        this.earlierRuns = { bytes: t.bytes, transfers: t.transfers, badTransfers: t.badTransfers };
        this.pump = undefined;
        this.ended = 0n;
        return true;
      }
      if (p.pattern && receiving && (outcome.error as { code?: string } | undefined)?.code === 'BAD_DATA') haltEndpoint(ioOut!.file.fd, this.log);
      if (outcome.error) throw outcome.error;
      this.state = 'done';
    } catch (err) {
      this.fail(err);
    } finally {
      for (const io of ios) {
        try {
          await io.close();
        } catch (err) {
          this.log(`stream ${this.id}: closing ${io.file.path}: ${(err as Error).message}`);
        }
      }
    }
    return false;
  }

  /**
   * Wait for an ENABLE after the one the last run started under (the flag alone may still say
   * enabled when the pump saw the endpoint go first), or for stop(). A run that ended within
   * RESTART_BACKOFF_MS of its start is followed by a pause, so nothing can spin.
   */
  private async reenabled(): Promise<void> {
    const pause = this.runStarted + RESTART_BACKOFF_MS - Date.now();
    if (pause > 0) await Promise.race([new Promise((r) => setTimeout(r, pause)), this.stopped]);
    while (!this.stopReason) {
      try {
        await Promise.race([this.ends.enabledAfter(this.runEnables, 10_000), this.stopped]);
        return;
      } catch {
        /* not yet: a Gadget Zero waits as long as it is not stopped */
      }
    }
  }

  /** Echo's pipeline hooks: read a transfer, check it, send the same bytes back. */
  private echoHooks(ioIn: EndpointIo, ioOut: EndpointIo): PipelineHooks<Slot> {
    const p = this.params;
    const mps = this.maxPacketSize;
    // dmabuf has no byte count: post exactly the expected length (see the class comment).
    const postLength = (k: number) => (p.mode === 'dmabuf' ? expectedLength(p, k) : receiveLength(expectedLength(p, k), mps));
    return {
      start: (s, k) => ioOut.read(s.rx!, postLength(k)),
      finish: (s, k, n) => {
        this.receivedTally!.received(k, s.rx!.subarray(0, n));
        if (s.tx !== s.rx) s.tx!.set(s.rx!.subarray(0, n));
        return ioIn.write(s.tx!, n).then((w) => {
          if (w !== n) throw Object.assign(new Error(`transfer ${k}: wrote ${w} of ${n} bytes`), { code: 'SHORT_WRITE' });
          this.sentTally!.sent(s.tx!.subarray(0, w));
        });
      },
      cancel: () => {
        ioIn.cancelAll();
        ioOut.cancelAll();
      },
    };
  }

  private fail(err: unknown): void {
    if (!this.ended) {
      this.ended = this.started ? process.hrtime.bigint() : 0n;
      this.cpu = process.cpuUsage(this.cpuStart);
    }
    // Keep our own codes (TIMEOUT, STOPPED, SHORT_WRITE); errno names and the rest as toAgentError maps them.
    const code = (err as { code?: unknown })?.code;
    const e = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? { code, message: (err as Error).message } : toAgentError(err);
    this.error ??= { code: e.code, message: e.message };
    this.state = 'failed';
    this.log(`stream ${this.id} (${this.params.kind} ${this.params.mode}) failed: ${e.code}: ${e.message}`);
  }
}

/** Repeat `packet` over `buf`. */
function fillPackets(buf: Uint8Array, packet: Buffer): void {
  for (let at = 0; at < buf.length; at += packet.length) buf.set(packet.subarray(0, Math.min(packet.length, buf.length - at)), at);
}

/**
 * Halt an OUT endpoint, as f_sourcesink does at a wrong byte: FunctionFS halts an endpoint whose
 * file gets I/O in the wrong direction (and says so with EBADMSG), so the host sees a STALL.
 */
function haltEndpoint(fd: number, log: (line: string) => void): void {
  try {
    fs.writeSync(fd, Buffer.alloc(0));
    log('halting the OUT endpoint after bad data: FunctionFS took a write without halting it');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EBADMSG') log(`halting the OUT endpoint after bad data: ${(err as Error).message}`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new AgentError('TIMEOUT', `${what} within ${ms} ms`)), ms))),
  ]);
}
