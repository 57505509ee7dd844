import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Protection } from '@ffs-lab/contract/mmap-probe-protocol';

/** One AIO request for {@link NativeAioContext.submit}. */
export interface NativeAioRequest {
  fd: number;
  /** true: IOCB_CMD_PWRITE (to the host, IN); false: IOCB_CMD_PREAD (from the host, OUT). */
  write: boolean;
  buffer: ArrayBuffer | ArrayBufferView;
  /** Byte offset in `buffer`. */
  offset: number;
  /** Bytes to transfer. */
  length: number;
  /** Caller's id; unique among requests in flight on this context. */
  id: number;
}

/** Linux native AIO context; completions arrive via an eventfd polled by libuv. */
export interface NativeAioContext {
  /** Submit in one io_submit; returns how many the kernel took (may be fewer). */
  submit(requests: NativeAioRequest[]): number;
  /** io_cancel: 0 when accepted, else an errno number. The completion still arrives. */
  cancel(id: number): number;
  /**
   * Cancels what is in flight and reaps it for at most 2 s (each request reports its own result,
   * -ECANCELED when it is still held); requests the kernel keeps past that are left to io_destroy
   * on a thread of its own, and their buffers stay referenced for the process's life.
   */
  close(): void;
  readonly inFlight: number;
  readonly maxEvents: number;
}

/** libuv poll on a descriptor; the callback gets the event bits (or a negative uv error). */
export interface NativeFdWatcher {
  stop(): void;
}

/** A stream's shape as the addon's tallies take it (stream-layout.ts), with the seed's pattern table. */
export interface NativeStreamShape {
  transferSize: number;
  totalBytes: number;
  /** Transfers in the stream (stream-layout.ts transferCount). */
  transfers: number;
  maxPacketSize: number;
  /** The seed's pattern table (contract/src/pattern.ts patternTable), or one packet's with packetPattern. */
  pattern: Buffer;
  /**
   * Gadget Zero's convention (contract/src/packet-pattern.ts): every packet starts `pattern` (one
   * packet long) afresh, a receiver takes any length up to the posted one and ends the stream with
   * BAD_DATA at its first wrong byte. transferSize must be a multiple of maxPacketSize. Default false.
   */
  packetPattern?: boolean;
}

/** The counts of a stream end as stream-tally.ts keeps them (crc: CRC-32 as a number). */
export interface NativeTallyReport {
  bytes: number;
  transfers: number;
  crc: number;
  firstBadOffset: number | null;
  fault?: string;
  badTransfers: number;
}

/**
 * One stream end's accounting in C++ (native/src/tally_object.h), for ends whose transfers are
 * driven from JavaScript: one call per transfer fills, or checks, and folds into the CRC-32.
 */
export interface NativeTally {
  /** Write transfer k's pattern bytes at the start of `buffer`; returns their count. */
  fill(buffer: ArrayBuffer | ArrayBufferView, k: number): number;
  /** Count transfer k as sent (`n` bytes of `buffer` went out); returns what was wrong, if anything (a short write). */
  sent(buffer: ArrayBuffer | ArrayBufferView, k: number, n: number): string | undefined;
  /** Check and count received transfer k (`n` bytes of `buffer`); false when a byte or the length was wrong. */
  received(buffer: ArrayBuffer | ArrayBufferView, k: number, n: number): boolean;
  report(): NativeTallyReport;
}

/** Options of {@link NativeBindings.StreamPump}; gadget-agent/src/streams/native-pump.ts documents the semantics. */
export interface NativeStreamPumpOptions extends NativeStreamShape {
  fd: number;
  /** true: a source (PWRITE, IN); false: a sink (PREAD, OUT). */
  write: boolean;
  /** One buffer per transfer in flight, each at least the largest transfer as posted. */
  slots: Array<ArrayBuffer | ArrayBufferView>;
  /** Called once: every transfer finished, or stopped (error or stop()) with nothing in flight. */
  onDone: (result: NativeStreamPumpResult) => void;
  /**
   * After stop() or close(): how long transfers may take to settle (ms, default 2000). Past it
   * onDone reports TRANSFERS_STUCK with the count left in flight; the thread keeps the slots and
   * the descriptor until the kernel gives them back.
   */
  settleMs?: number;
  /** false: stop() does not interrupt the thread's blocking calls (tests only). Default true. */
  interruptOnStop?: boolean;
}

/** How a pump ended: `errno`+`syscall` for a failed syscall or transfer, `code`+`message` for SHORT_WRITE. */
export interface NativeStreamPumpResult {
  /** Transfers finished in stream order. */
  finished: number;
  errno?: number;
  syscall?: string;
  code?: string;
  message?: string;
}

/** A pump's tally now, and its transfers in flight. */
export interface NativeStreamPumpTally extends NativeTallyReport {
  inFlight: number;
}

/** A source or sink stream run by the addon on a thread of its own (StreamPump: AIO; CopyPump: read/write; DmabufPump: DMABUF). Lifecycle: new, start(), (stop()), onDone, close(). */
export interface NativeStreamPump {
  start(): void;
  stop(): void;
  close(): void;
  tally(): NativeStreamPumpTally;
}

/**
 * The addon's surface: primitives only. Everything with behaviour lives in the TypeScript
 * beside this file. Errors thrown by these functions carry `code` (errno name), `errno`, `syscall`.
 */
export interface NativeBindings {
  AioContext: new (maxEvents: number, onComplete: (ids: number[], results: number[]) => void) => NativeAioContext;
  FdWatcher: new (fd: number, what: 'readable' | 'writable', callback: (events: number) => void) => NativeFdWatcher;
  /** Linux AIO, a thread waiting in io_getevents (native/src/stream_pump.h); any number of slots. */
  StreamPump: new (options: NativeStreamPumpOptions) => NativeStreamPump;
  /** Blocking write()/read() on a thread of its own (native/src/copy_pump.h); exactly one slot. */
  CopyPump: new (options: NativeStreamPumpOptions) => NativeStreamPump;
  /** FunctionFS DMABUF transfers, a thread waiting for their fences (native/src/dmabuf_pump.h); slots[i] maps dmabufFds[i]. */
  DmabufPump: new (options: NativeStreamPumpOptions & { dmabufFds: number[] }) => NativeStreamPump;
  /** A stream end's tally driven call by call (native/src/tally_object.h). */
  Tally: new (shape: NativeStreamShape) => NativeTally;
  /** `tail`: bytes of anonymous memory right after the (page-rounded) file mapping, in the same ArrayBuffer (default 0). */
  mmapFile(fd: number, length: number, options?: { private?: boolean; offset?: number; prot?: Protection; tail?: number }): ArrayBuffer;
  /** Private anonymous read-write memory as a mapping of this addon (munmapBuffer, mprotectBuffer). */
  mmapAnonymous(length: number): ArrayBuffer;
  /** mprotect a whole mapping of this addon; touching it from JS without that access kills the process. */
  mprotectBuffer(buffer: ArrayBuffer, prot: Protection, offset?: number, length?: number): void;
  /** `length` bytes at `offset` of `buffer`, read by process_vm_readv(2) on this process (get_user_pages); throws the errno (EFAULT for a PFN mapping). */
  processVmRead(buffer: ArrayBuffer, offset: number, length: number): Buffer;
  /** `length` bytes at `offset` of `buffer`, spliced into a pipe by vmsplice(2) (get_user_pages) and read back; throws the errno (EFAULT for a PFN mapping). */
  vmspliceRead(buffer: ArrayBuffer, offset: number, length: number): Buffer;
  /**
   * `length` bytes at `offset` of `buffer`, written by an O_DIRECT write(2) into a new file in
   * `dir` (get_user_pages, on a file system that does direct I/O; tmpfs copies) and read back; the
   * file is removed. Throws the errno (EFAULT for a PFN mapping, EINVAL for a file system without
   * O_DIRECT or a range not in whole blocks).
   */
  directIoRead(buffer: ArrayBuffer, offset: number, length: number, dir: string): Buffer;
  /**
   * Unmap a buffer from mmapFile and detach it (JS then sees zero bytes). A mapping a running pump
   * uses is unmapped once the pump lets go. A raw AioContext request is not tracked that way:
   * cancel it or wait for it first, or a copy-path read could complete into whatever the process
   * maps at that address next (a zero-copy one lands in FunctionFS's own buffer, whose quota
   * comes back only when it completes).
   */
  munmapBuffer(buffer: ArrayBuffer): void;
  /** mremap(MREMAP_MAYMOVE) to newLength (same length: a forced move, MREMAP_FIXED): 0 when it moved (the buffer is then unmapped and detached), else the errno number. */
  tryMremap(buffer: ArrayBuffer, newLength: number): number;
  liveMappings(): number;
  fifoStatus(fd: number): number;
  fifoFlush(fd: number): number;
  clearHalt(fd: number): number;
  endpointRevmap(fd: number): number;
  interfaceRevmap(fd: number, intf: number): number;
  endpointDescriptor(fd: number): Buffer;
  udmabufCreate(size: number): { fd: number; memfd: number; buffer: ArrayBuffer };
  dmabufAttach(epFd: number, dmabufFd: number): void;
  dmabufDetach(epFd: number, dmabufFd: number): void;
  dmabufTransfer(epFd: number, dmabufFd: number, length: number, flags?: number): void;
  /** FUNCTIONFS_DMABUF_TRANSFER, then at once DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a sync_file fd holding the transfer's fence (caller closes it), or -1 on a kernel without CONFIG_SYNC_FILE (no status to read). */
  dmabufTransferFenced(epFd: number, dmabufFd: number, length: number, flags?: number): number;
  /** DMA_BUF_IOCTL_EXPORT_SYNC_FILE; `all` (default true): every unsignalled fence, else only writers'. */
  dmabufExportSyncFile(dmabufFd: number, all?: boolean): number;
  /** A sync_file's state: 1 all signalled without error, 0 one pending, -errno the error a signalled fence carries. */
  syncFileStatus(syncFd: number): number;
  errnoName(errno: number): string;
  /** dup(2): a new descriptor on the same open file; the caller closes it. */
  dup(fd: number): number;
}

let loaded: NativeBindings | undefined;

/**
 * This module's compiled file, for worker threads that load the addon themselves. (Inlined in an
 * agent bundle it names the bundle's file; the bundle's workers use bindings.js beside it.)
 */
export const BINDINGS_MODULE: string = __filename;

/** The addon beside this module: where an agent bundle (ffs-lab pack-agent) keeps it. */
const BUNDLED_ADDON = path.join(__dirname, 'ffs_native.node');

/**
 * The compiled addon, loaded on first use: the file FFS_LAB_NATIVE_ADDON names (the sanitizer
 * build of `npm run test:native-sanitize`), else the one beside this module in an agent bundle,
 * else native/build/Release/ffs_native.node of the checkout.
 */
export function native(): NativeBindings {
  if (loaded) return loaded;
  if (process.platform !== 'linux') throw new Error(`ffs-lab native: FunctionFS is Linux-only (this is ${process.platform})`);
  const file = process.env.FFS_LAB_NATIVE_ADDON || (fs.existsSync(BUNDLED_ADDON) ? BUNDLED_ADDON : path.resolve(__dirname, '..', '..', 'build', 'Release', 'ffs_native.node'));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a compiled addon at a path chosen at run time
    loaded = require(file) as NativeBindings;
  } catch (err) {
    throw new Error(`ffs-lab native: cannot load ${file} (${(err as Error).message.split('\n')[0]}); run \`npm install\` (or \`node native/build.js\`) to build it`, { cause: err });
  }
  return loaded;
}
