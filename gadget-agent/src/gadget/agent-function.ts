import { EndpointFile } from '@ffs-lab/native/endpoint-file';
import { AgentError } from '../session/agent-error';
import { AgentStream } from '../streams/agent-stream';
import type { ConfigfsGadget } from './configfs-gadget';
import { FfsFunction } from './ffs-function';
import { gadgetZeroControl } from './gadget-zero-control';
import type { ValidFunctionParams } from './function-params';
import type { FunctionEndpointInfo, FunctionInfo } from '@ffs-lab/contract/protocol';
import type { ValidStreamParams } from '../streams/stream-params';

/** Finished streams whose reports are kept for stream.status/wait (the oldest go first). */
const KEEP_FINISHED = 64;
/** How long close() waits for aborted streams to release their endpoints (ms). */
const CLOSE_WAIT_MS = 8000;

/**
 * The agent's own FunctionFS function (function.create): the gadget, ep0 through the addon, and
 * the streams running on its endpoints (at most one per endpoint file at a time).
 * Lifecycle: create() -> gadget bind (session) -> startStream()* -> unbind -> close() -> gadget remove.
 */
export class AgentFunction {
  private readonly streams = new Map<number, AgentStream>();
  private readonly busy = new Map<string, number>();
  private nextId = 1;

  private constructor(private readonly ffs: FfsFunction, readonly params: ValidFunctionParams, private readonly log: (line: string) => void) {}

  /** Build the gadget, mount FunctionFS (with the gadget's mountOptions), write descriptors and strings. */
  static create(params: ValidFunctionParams, log: (line: string) => void): AgentFunction {
    const ffs = FfsFunction.create({ gadget: params.gadget, function: params.function, strings: params.strings });
    if (params.control === 'gadget-zero') ffs.onSetup = gadgetZeroControl();
    return new AgentFunction(ffs, params, log);
  }

  get gadget(): ConfigfsGadget {
    return this.ffs.gadget;
  }

  /** What was declared, what the UDC configured (once enabled), and the ep0 events so far. */
  info(): FunctionInfo {
    const fn = this.params.function;
    const speeds = fn.speeds ?? ['fs', 'hs', 'ss'];
    const endpoints: FunctionEndpointInfo[] = fn.endpoints.map((e, i) => {
      const file = `ep${i + 1}`;
      const maxPacket: FunctionEndpointInfo['maxPacket'] = {};
      for (const s of speeds) maxPacket[s] = e.maxPacket?.[s] ?? defaultMaxPacket(e.type, s);
      const info: FunctionEndpointInfo = { file, number: e.number, direction: e.direction, type: e.type, maxPacket, interval: e.type === 'bulk' ? 0 : e.interval ?? 1 };
      const configured = this.ffs.isEnabled ? this.configured(file) : undefined;
      if (configured) info.configured = configured;
      return info;
    });
    return {
      configfs: this.ffs.gadget.dir,
      mount: this.ffs.mountPoint,
      interfaceClass: fn.interfaceClass ?? 0xff,
      interfaceSubclass: fn.interfaceSubclass ?? 0,
      interfaceProtocol: fn.interfaceProtocol ?? 0,
      strings: this.params.strings,
      endpoints,
      enabled: this.ffs.isEnabled,
      events: this.ffs.events.slice(-100).map((e) => e.type),
    };
  }

  /** info(), after waiting up to `waitEnabledMs` for ENABLE (TIMEOUT error when it does not come). */
  async status(waitEnabledMs: number): Promise<FunctionInfo> {
    if (waitEnabledMs > 0) {
      try {
        await this.ffs.waitEnabled(waitEnabledMs);
      } catch (err) {
        throw new AgentError('TIMEOUT', (err as Error).message);
      }
    }
    return this.info();
  }

  /** Start a stream on the function's first IN/OUT endpoints (or `params.endpoint`). */
  startStream(params: ValidStreamParams): AgentStream {
    const eps = this.params.function.endpoints;
    const fileOf = (dir: 'in' | 'out'): string | undefined => {
      if (params.endpoint !== undefined) {
        const e = eps[params.endpoint - 1];
        if (!e) throw new AgentError('BAD_REQUEST', `stream.start: the function has no endpoint file ep${params.endpoint}`);
        if (e.direction !== dir) throw new AgentError('BAD_REQUEST', `stream.start: ep${params.endpoint} is ${e.direction.toUpperCase()}, a ${params.kind} stream needs ${dir.toUpperCase()}`);
        return `ep${params.endpoint}`;
      }
      const i = eps.findIndex((e) => e.direction === dir);
      if (i < 0) throw new AgentError('BAD_REQUEST', `stream.start: the function has no ${dir.toUpperCase()} endpoint for a ${params.kind} stream`);
      return `ep${i + 1}`;
    };
    const inFile = params.kind !== 'sink' ? fileOf('in') : undefined;
    const outFile = params.kind !== 'source' ? fileOf('out') : undefined;
    for (const f of [inFile, outFile]) {
      const holder = f && this.busy.get(f);
      if (!holder) continue;
      const left = this.streams.get(holder);
      if (left && !left.running) {
        throw new AgentError('BAD_STATE', `stream.start: ${f} still has ${left.abandoned} transfer(s) of failed stream ${holder} in flight (${left.params.mode} I/O could not be cancelled); remove and recreate the function`);
      }
      throw new AgentError('BAD_STATE', `stream.start: ${f} is in use by stream ${holder}`);
    }
    const id = this.nextId++;
    const stream = AgentStream.start(
      id,
      params,
      {
        ...(inFile ? { inPath: this.ffs.endpointPath(Number(inFile.slice(2))) } : {}),
        ...(outFile ? { outPath: this.ffs.endpointPath(Number(outFile.slice(2))) } : {}),
        enabled: () => this.ffs.waitEnabled(Math.min(params.timeoutMs, 10_000)),
        enableCount: () => this.ffs.enableCount,
        enabledAfter: (count, ms) => this.ffs.waitEnabledAfter(count, ms),
      },
      this.log,
    );
    for (const f of [inFile, outFile]) if (f) this.busy.set(f, id);
    this.streams.set(id, stream);
    void stream.settled.then(() => {
      // An endpoint with transfers left in flight would hand their data to the next stream: keep it blocked.
      if (!stream.abandoned) for (const f of [inFile, outFile]) if (f && this.busy.get(f) === id) this.busy.delete(f);
      this.forgetOld();
    });
    return stream;
  }

  /** A stream by id (running or among the last finished ones). */
  stream(id: number): AgentStream {
    const s = this.streams.get(id);
    if (!s) throw new AgentError('BAD_REQUEST', `no stream ${id} (ids come from stream.start; only the last ${KEEP_FINISHED} finished streams are kept)`);
    return s;
  }

  /** Abort every running stream, wait (bounded) for them to release their endpoints, close ep0. */
  async close(): Promise<void> {
    const running = [...this.streams.values()].filter((s) => s.running);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((s) => s.stop('the function is being removed'))),
      new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.ffs.ep0.close();
  }

  /** Synchronous best effort for exit paths: cancel what is in flight and close ep0 (exit closes the rest). */
  closeNow(): void {
    for (const s of this.streams.values()) if (s.running) void s.stop('the agent is exiting');
    try {
      this.ffs.ep0.close();
    } catch {
      /* closed already */
    }
  }

  private configured(file: string): FunctionEndpointInfo['configured'] {
    let f: EndpointFile | undefined;
    try {
      f = new EndpointFile(`${this.ffs.mountPoint}/${file}`, true);
      const d = f.descriptor();
      return { address: d.address, maxPacketSize: d.maxPacketSize, interval: d.interval, type: d.type };
    } catch (err) {
      this.log(`function.status: ${file}: ${(err as Error).message}`);
      return undefined;
    } finally {
      f?.close();
    }
  }

  private forgetOld(): void {
    const blocking = new Set(this.busy.values());
    const finished = [...this.streams.values()].filter((s) => !s.running && !blocking.has(s.id));
    for (const s of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.streams.delete(s.id);
  }
}

/** The defaults descriptors.ts applies (it does not export them). */
function defaultMaxPacket(type: 'bulk' | 'interrupt' | 'isochronous', speed: 'fs' | 'hs' | 'ss'): number {
  if (type === 'bulk') return { fs: 64, hs: 512, ss: 1024 }[speed];
  if (type === 'interrupt') return { fs: 64, hs: 1024, ss: 1024 }[speed];
  return { fs: 1023, hs: 1024, ss: 1024 }[speed];
}
