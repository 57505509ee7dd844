/** Sample RSS this often while a stream runs (ms): a /proc read, too dear per transfer on TCG. */
const RSS_SAMPLE_MS = 100;

/** What a stream cost this process, from {@link StreamMeter.stop}. */
export interface StreamCost {
  /** Wall time from start() to stop() (ms). */
  elapsedMs: number;
  /** This process's CPU time (ms; includes libusb's event thread). */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Resident set size at start() and its peak, sampled every 100 ms (bytes). */
  rssStartBytes: number;
  rssPeakBytes: number;
}

/** Wall time, CPU and resident memory of this process over one stream. start() -> stop() once. */
export class StreamMeter {
  private readonly rssStart = process.memoryUsage.rss();
  private rssPeak = this.rssStart;
  private readonly cpu0 = process.cpuUsage();
  private readonly t0 = process.hrtime.bigint();
  private readonly timer = setInterval(() => (this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss())), RSS_SAMPLE_MS);

  private constructor() {}

  /** Start measuring now (after the stream's buffers exist, so growth means accumulation). */
  static start(): StreamMeter {
    return new StreamMeter();
  }

  /** Stop measuring and give the figures. */
  stop(): StreamCost {
    const elapsedMs = Number(process.hrtime.bigint() - this.t0) / 1e6;
    const cpu = process.cpuUsage(this.cpu0);
    clearInterval(this.timer);
    this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss());
    return { elapsedMs, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, rssStartBytes: this.rssStart, rssPeakBytes: this.rssPeak };
  }
}
