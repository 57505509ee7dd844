import type { AgentHandle } from '../suite-runner/lab-context';

/**
 * Follows the target's kernel log through the whole run over one agent session it owns, so
 * that every test gets the kernel messages printed while it ran (KernelCI style). Lifecycle:
 * start() -> take()* -> close(). After the first failure to read, it stays off and says why.
 */
export class KernelMonitor {
  /** Why the monitor stopped, when it did (reported once by the runner). */
  failure: string | undefined;

  private constructor(
    private readonly handle: AgentHandle,
    private seq: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Take over agent session `h` (no suite may use it; close() closes it, and so does a failed
   * start) and set the cursor at the newest kernel record.
   */
  static async start(h: AgentHandle, timeoutMs: number): Promise<KernelMonitor> {
    try {
      const m = await h.agent.call('kernel.messages', {}, timeoutMs);
      return new KernelMonitor(h, m.lastSeq, timeoutMs);
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  /** Kernel log lines since the previous call (empty once the monitor has failed). */
  async take(): Promise<string[]> {
    if (this.failure) return [];
    try {
      const m = await this.handle.agent.call('kernel.messages', { afterSeq: this.seq }, this.timeoutMs);
      this.seq = m.lastSeq;
      return m.lost ? ['(kernel log records were lost: the ring buffer wrapped)', ...m.lines] : m.lines;
    } catch (err) {
      this.failure = (err as Error).message;
      return [];
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
