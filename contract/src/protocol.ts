/**
 * The agent protocol: JSON lines on the agent's stdin (requests) and stdout (replies), one object
 * per line. Every request gets exactly one reply with the same id. The runner imports these types,
 * so both sides agree at compile time; PROTOCOL_VERSION guards against mismatched deployments.
 */
import type { FunctionSpec, Speed, TransferType } from './function-spec';
import type { IoModeName } from './io-modes';
import type { StreamShape } from './stream-layout';
import { DMABUF_METHOD_NAMES, type DmabufMethods } from './dmabuf-protocol';
import type { PacketPatternName } from './packet-pattern';
import { FAULT_METHOD_NAMES, type FaultMethods } from './fault-protocol';
import type { MmapRaceParams, MmapRaceResult, PeekVia, ProbeBufferParams, ProbeContiguous, ProbeFill, ProbeIoResult, ProbeMemInfo, ProbeMountInfo, ProbeMountRef, ProbeSubmitParams, ProbeSystemState, Protection } from './mmap-probe-protocol';

export const PROTOCOL_VERSION = 1;

/** A request line. */
export interface Request<M extends MethodName = MethodName> {
  v: number;
  id: number;
  method: M;
  params: Methods[M]['params'];
}

/** A reply line: `ok` with a result, or an error with a code. */
export type Reply<M extends MethodName = MethodName> =
  | { v: number; id: number; ok: true; result: Methods[M]['result'] }
  | { v: number; id: number | null; ok: false; error: AgentErrorInfo };

/** Error codes: an errno name (`ENOENT`, `EBUSY`...) for system errors, or one of these. */
export type AgentErrorCode =
  | 'BAD_REQUEST'
  | 'UNKNOWN_METHOD'
  | 'VERSION_MISMATCH'
  | 'BAD_STATE'
  | 'NO_UDC'
  | 'TIMEOUT'
  | 'PROGRAM_EXITED'
  | 'INTERNAL'
  | string;

export interface AgentErrorInfo {
  code: AgentErrorCode;
  message: string;
}

/** What a gadget looks like to the host. Numbers are plain integers (e.g. 0x1d6b). */
export interface GadgetSpec {
  /** configfs directory name under usb_gadget/ (letters, digits, `-`, `_`); prefixed with `ffslab-`. */
  name: string;
  vendorId: number;
  productId: number;
  /** BCD, default 0x0200. */
  bcdUSB?: number;
  /** BCD device release, default 0x0100. */
  bcdDevice?: number;
  manufacturer: string;
  product: string;
  serial: string;
  /** Configuration string. */
  configuration?: string;
  /** bMaxPower in mA, default 100. */
  maxPowerMa?: number;
  /** FunctionFS instance name (`ffs.<function>` in configfs, mount source). */
  function: string;
  /** FunctionFS mount options, e.g. `{ mmap_memory_mb: 1 }`. */
  mountOptions?: Record<string, string | number | boolean>;
  /**
   * `gadget.create` only: the gadget's function is this kernel function instead of FunctionFS
   * (no mount): the kernel's own peers to compare ours with, e.g. `SourceSink` (Gadget Zero's
   * f_sourcesink) with `{ pattern: 1 }`. Attributes are written to its configfs directory.
   */
  kernelFunction?: KernelFunctionSpec;
}

/** Kernel functions `gadget.create` can make (CONFIG_USB_CONFIGFS_F_LB_SS). */
export const KERNEL_FUNCTIONS = ['SourceSink', 'Loopback'] as const;

/** A kernel USB function in a configfs gadget. */
export interface KernelFunctionSpec {
  type: (typeof KERNEL_FUNCTIONS)[number];
  /** configfs attributes of the function (`pattern`, `bulk_buflen`, `qlen`...), written before binding. */
  attributes?: Record<string, number>;
}

/** Zero-copy interfaces a kernel's FunctionFS offers, as probed on an unbound function. */
export interface KernelFeatures {
  /** mmap of a data endpoint file: `present` when it maps, `absent` on ENODEV. */
  mmap: 'present' | 'absent' | 'unknown';
  /** errno (or `ok`) of the probes, for the report. */
  mmapProbe: string;
  ep0MmapProbe: string;
  /** FUNCTIONFS_DMABUF_ATTACH: `present` when the ioctl exists (EPERM/EBADF/ENODEV/ok), `absent` on ENOTTY/EINVAL. */
  dmabuf: 'present' | 'absent' | 'unknown';
  dmabufProbe: string;
  /**
   * The DMA layer bounces every mapping the UDC makes (the kernel runs with `swiotlb=force` and
   * the UDC maps its requests: not dummy_udc outside its dma mode). An IN transfer then leaves
   * with the bytes of submit time, zero-copy or not. Absent when unknown.
   */
  dmaBounce?: boolean;
}

/** Reply of `hello`. */
export interface HelloResult {
  protocol: number;
  agentVersion: string;
  pid: number;
  kernelRelease: string;
  /** UDC names in /sys/class/udc. */
  udcs: string[];
  /** The kernel's page size in bytes (4096, 16384, 65536): mappings and the mmap quota count in these. Absent from agents before arm64 support. */
  pageSize?: number;
  /** The buddy allocator's largest order (MAX_PAGE_ORDER: /proc/buddyinfo's last column); absent when unreadable. PAGE_SIZE << it is the largest physically contiguous allocation. */
  maxPageOrder?: number;
  /** The machine, as `uname -m` names it (x86_64, aarch64, armv7l). Absent from agents before arm64 support. */
  machine?: string;
  /** The agent process's architecture, as node names it (x64, arm64, arm: on an aarch64 machine, a 32-bit compat process). Absent with `machine`. */
  processArch?: string;
}

/** State of the FunctionFS program the agent started. */
export interface ProgramStatus {
  running: boolean;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Its stdout+stderr as whole lines: the first 1000 and the last 200, a marker between. */
  output: string[];
}

/** Result of `program.run`. */
export interface ProgramRun {
  /** null when killed by a signal (or the spawn failed). */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Killed because it ran past `timeoutMs`. */
  timedOut: boolean;
  durationMs: number;
}

/** Result of `kernel.messages`. */
export interface KernelMessages {
  /** Sequence number of the newest record returned (or `afterSeq` when none is newer). */
  lastSeq: number;
  /** The records as dmesg prints them (`[seconds] text`), oldest first. */
  lines: string[];
  /** Some records were overwritten before they could be read (the ring buffer wrapped). */
  lost?: boolean;
}

/** Result of `kernel.log`. */
export interface KernelLog {
  /** The whole kernel ring buffer, as `dmesg` prints it. */
  dmesg: string;
  /** Present when a kmemleak scan was asked for; `enabled: false` when the kernel has none. */
  kmemleak?: { enabled: boolean; report: string };
}

/** Params of `function.create`: a FunctionFS function the agent serves itself through the addon. */
export interface FunctionCreateParams {
  /** The configfs gadget; `mountOptions` go to the FunctionFS mount (e.g. `{ mmap_memory_mb: 64 }`). */
  gadget: GadgetSpec;
  /** Interface and endpoints; default: one vendor interface with bulk IN ep1 and bulk OUT ep2 at every speed. */
  function?: FunctionSpec;
  /** US-English strings; index 1 is the interface name. Default: `[gadget.product]`. */
  strings?: string[];
  /**
   * How the agent answers the control requests FunctionFS passes it: `stall` (default) every one;
   * `gadget-zero` as the kernel's f_sourcesink does (vendor request 0x5b stores up to 4096 bytes,
   * 0x5c returns them; GET_STATUS of the interface gives 0), the rest stalled. Pair it with
   * `flags.allCtrlRecip`, or FunctionFS keeps the device-recipient requests from the agent.
   */
  control?: 'stall' | 'gadget-zero';
}

/** One data endpoint of the agent's function: as declared, and as the UDC configured it once enabled. */
export interface FunctionEndpointInfo {
  /** Endpoint file in the mount (`ep1`...), in descriptor order. */
  file: string;
  /** Number as declared (the UDC may assign another address; see `configured`). */
  number: number;
  direction: 'in' | 'out';
  type: TransferType;
  /** Declared wMaxPacketSize per declared speed. */
  maxPacket: Partial<Record<Speed, number>>;
  /** Declared bInterval (0 for bulk). */
  interval: number;
  /** FUNCTIONFS_ENDPOINT_DESC once the host enabled the function: the real address and packet size. */
  configured?: { address: number; maxPacketSize: number; interval: number; type: TransferType | 'control' };
}

/** Reply of `function.create` and `function.status`. */
export interface FunctionInfo {
  configfs: string;
  mount: string;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  /** The strings written to ep0 (index 1 first). */
  strings: string[];
  endpoints: FunctionEndpointInfo[];
  /** The host set a configuration (ENABLE seen, no DISABLE/UNBIND since). */
  enabled: boolean;
  /** ep0 event types seen so far, in order (the last 100). */
  events: string[];
}

/** Stream kinds: source = gadget to host (IN), sink = host to gadget (OUT), echo = OUT looped back to IN. */
export type StreamKind = 'source' | 'sink' | 'echo';

/** Params of `stream.start`. The shape (stream-layout.ts) must match what the host runs. */
export interface StreamParams extends StreamShape {
  kind: StreamKind;
  mode: IoModeName;
  /** Transfers to keep in flight (1..256); bounded by maxBytesInFlight, and 1 in copy mode (see agent-stream.ts). */
  depth: number;
  /** Pattern seed (uint32). */
  seed: number;
  /** Endpoint file number for source/sink (default: the first IN resp. OUT endpoint); echo uses the first OUT and IN. */
  endpoint?: number;
  /** The stream fails with TIMEOUT past this (ms). Default 120000. */
  timeoutMs?: number;
  /** Bound on bytes posted at once (default 16 MiB; mmap buffers also count against mmap_memory_mb). */
  maxBytesInFlight?: number;
  /**
   * Gadget Zero's data instead of the seeded stream (packet-pattern.ts; source and sink only):
   * every packet starts the pattern afresh, transferSize is a multiple of the packet size, a sink
   * takes transfers of any length up to it, and at its first wrong byte halts its endpoint and
   * fails with BAD_DATA, as f_sourcesink does. Such a stream is meant to run until stream.stop,
   * which then ends it as done; when the host disables the function it starts again at the next
   * ENABLE (as f_sourcesink requeues its requests). Each run ends by itself after totalBytes or
   * timeoutMs (give the largest); the report's counts cover every run, its checksum the last.
   */
  pattern?: PacketPatternName;
}

/** The tally of one direction of a stream end. */
export interface StreamEndTally {
  bytes: number;
  transfers: number;
  /** CRC-32 (zlib) of the bytes in stream order, 8 hex digits. */
  checksum: string;
  /** Receiving ends: stream offset of the first wrong/missing/extra byte; null when all were right. */
  firstBadOffset: number | null;
  /** What was wrong there. */
  fault?: string;
  /** Transfers with a wrong length or wrong bytes. */
  badTransfers: number;
}

/** Reply of `stream.status`/`stream.wait`/`stream.stop`. */
export interface StreamReport {
  id: number;
  kind: StreamKind;
  mode: IoModeName;
  /** running, done (every transfer moved), failed (error set). */
  state: 'running' | 'done' | 'failed';
  shape: StreamShape;
  /** Transfers the stream has. */
  plannedTransfers: number;
  /** Transfers kept in flight (after the bounds). */
  depth: number;
  /** wMaxPacketSize of the endpoint(s) as configured. */
  maxPacketSize: number;
  /** What the gadget sent (source, echo). */
  sent?: StreamEndTally;
  /** What the gadget received and checked (sink, echo). */
  received?: StreamEndTally;
  error?: AgentErrorInfo;
  /** From the first submission to the last completion (ms). */
  elapsedMs: number;
  /** Agent process CPU time during the stream (process.cpuUsage, ms). */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Agent RSS at the start and the highest sampled during the stream (bytes). */
  rssStartBytes: number;
  rssPeakBytes: number;
}

/** Every method: its params and its result. */
export interface Methods {
  hello: { params: Record<string, never>; result: HelloResult };
  /** Probe mmap/DMABUF support with the given probe binary on a throwaway function. */
  features: { params: { probe: string }; result: KernelFeatures };
  /** Create the configfs gadget and mount its FunctionFS instance (cleans a stale one first); with `kernelFunction`, that kernel function instead, and `mount` is ''. */
  'gadget.create': { params: GadgetSpec; result: { configfs: string; mount: string } };
  /** Start a FunctionFS program (it writes the descriptors); wait until `waitFor` files exist in the mount. */
  'program.start': { params: { argv: string[]; cwdInMount?: boolean; waitFor?: string[]; timeoutMs?: number }; result: { pid: number } };
  /** Run a program to completion (no gadget needed), e.g. the series' kselftest; SIGKILL after timeoutMs (default 120000). */
  'program.run': { params: { argv: string[]; timeoutMs?: number; env?: Record<string, string> }; result: ProgramRun };
  'program.status': { params: Record<string, never>; result: ProgramStatus };
  /** Stop the program (SIGTERM, then SIGKILL after 2 s). */
  'program.stop': { params: Record<string, never>; result: ProgramStatus };
  /** Bind to a UDC: the named one, or the only one present. */
  'gadget.bind': { params: { udc?: string }; result: { udc: string } };
  'gadget.unbind': { params: Record<string, never>; result: Record<string, never> };
  /** Unbind, stop the program, unmount, remove from configfs. Idempotent. */
  'gadget.remove': { params: Record<string, never>; result: Record<string, never> };
  /** The kernel log; with `kmemleakScan`, two kmemleak scans (about 6 s) and the report. */
  'kernel.log': { params: { kmemleakScan?: boolean }; result: KernelLog };
  /** Kernel log records with a sequence number above `afterSeq` (all when absent), from /dev/kmsg. */
  'kernel.messages': { params: { afterSeq?: number }; result: KernelMessages };
  /** Create the gadget with a FunctionFS function served by the agent itself (descriptors written through the addon). Bind with `gadget.bind`. */
  'function.create': { params: FunctionCreateParams; result: FunctionInfo };
  /** The function's state; with `waitEnabledMs`, first wait (at most that long) for the host to enable it, else fail with TIMEOUT. */
  'function.status': { params: { waitEnabledMs?: number }; result: FunctionInfo };
  /**
   * Start a stream on the function; it runs in the background. Returns at once, or with
   * `waitReady` once this end is prepared (function enabled, endpoint files open, buffers
   * allocated, first transfers queued) or has failed: what the C bench gadget's "ready" means,
   * so a host timing from then on measures the same span for both.
   */
  'stream.start': { params: StreamParams & { waitReady?: boolean }; result: { id: number } };
  /** A stream's report now (state running while it runs). */
  'stream.status': { params: { id: number }; result: StreamReport };
  /** Wait for a stream to end (at most `timeoutMs`, default 60000, else TIMEOUT) and return its report. */
  'stream.wait': { params: { id: number; timeoutMs?: number }; result: StreamReport };
  /** Abort a stream (cancel its transfers) and return its final report. */
  'stream.stop': { params: { id: number }; result: StreamReport };
  /** mmap probes (mmap-probe-protocol.ts): a FunctionFS mount with these options on an unbound gadget, descriptors written (EINVAL when the kernel refuses the options). */
  'mmap.mount': { params: { mountOptions?: Record<string, string | number | boolean> }; result: ProbeMountInfo };
  /** Release what the probes hold on that mount, unmount it and remove its gadget. */
  'mmap.unmount': { params: { id: number }; result: Record<string, never> };
  /** functionfs mounts, ffs-lab gadgets and the agent's live mappings now (for "nothing left behind" checks). */
  'mmap.mounts': { params: Record<string, never>; result: ProbeSystemState };
  /** mmap probes: remount a probe mount with these options (`mount -o remount,...`); its options as /proc/mounts then shows them (EINVAL when refused). */
  'mmap.remount': { params: { id: number; mountOptions?: Record<string, string | number | boolean> }; result: ProbeMountInfo };
  /** Open an endpoint file (`ep0`, `ep1`...) of a mount, O_NONBLOCK and O_RDWR (or `access` r: O_RDONLY, w: O_WRONLY); ep0 is a dup of the function's own ep0. */
  'mmap.open': { params: { mount: ProbeMountRef; file: string; access?: 'rw' | 'r' | 'w' }; result: { fd: number } };
  /** dup() an open file: the new handle shares its struct file. */
  'mmap.dup': { params: { fd: number }; result: { fd: number } };
  /** Close a file handle (mappings made on it stay until released). */
  'mmap.close': { params: { fd: number }; result: Record<string, never> };
  /** Make a buffer; a refused mmap fails with its errno (ENOMEM, EINVAL, ENODEV...). */
  'mmap.buffer': { params: ProbeBufferParams; result: { buffer: number; bytes: number } };
  /** Map on `fd` until the kernel refuses: chunks from `maxChunkBytes` (default 4 MiB) down to one page. */
  'mmap.fill': { params: { fd: number; maxChunkBytes?: number }; result: ProbeFill };
  /**
   * mprotect a whole buffer, or `length` bytes at `offset` (page-aligned: the mapping's VMA splits
   * there); peek and poke then refuse what the protection does not allow.
   */
  'mmap.protect': { params: { buffer: number; prot: Protection; offset?: number; length?: number }; result: Record<string, never> };
  /** The kernel's memory figures now (/proc/meminfo), for leak checks. */
  'mmap.meminfo': { params: Record<string, never>; result: ProbeMemInfo };
  /**
   * Make sure a free block of `order` pages exists (PAGE_SIZE << order contiguous bytes): when
   * /proc/buddyinfo shows none, compact memory, then drop the clean caches and compact again.
   * Root only (the sysctls); the page cache is refilled on demand.
   */
  'mmap.contiguous': { params: { order: number }; result: ProbeContiguous };
  /** Release a buffer (munmap). */
  'mmap.release': { params: { buffer: number }; result: Record<string, never> };
  /** mremap a mapping to `newBytes` (equal to its size: a forced move); errno null = it moved (then it is gone). */
  'mmap.mremap': { params: { buffer: number; newBytes: number }; result: { errno: string | null } };
  /** Write the pattern of `seed` (stream offsets from `streamOffset`, default 0) into `buffer[offset, offset+length)`. */
  'mmap.poke': { params: { buffer: number; offset: number; length: number; seed: number; streamOffset?: number }; result: Record<string, never> };
  /**
   * Read `buffer[offset, offset+length)` (at most 1 MiB), base64: by the agent, or with `via:
   * process_vm_readv`, `vmsplice` or `o_direct` by the kernel's get_user_pages path (its errno
   * when refused). `o_direct` needs `dir`: an absolute directory on a file system whose O_DIRECT
   * pins the pages (a block file system, 9p, NFS); tmpfs is refused with UNSUPPORTED (it copies).
   */
  'mmap.peek': { params: { buffer: number; offset: number; length: number; via?: PeekVia; dir?: string }; result: { base64: string } };
  /** Start one transfer; returns once it is submitted (see ProbeSubmitParams.settleMs). */
  'mmap.submit': { params: ProbeSubmitParams; result: { io: number } };
  /** Wait (at most `timeoutMs`, default 30000, else TIMEOUT) for a transfer's outcome. */
  'mmap.wait': { params: { io: number; timeoutMs?: number }; result: ProbeIoResult };
  /** Child processes race to map on one endpoint file; returns after they have exited. */
  'mmap.race': { params: MmapRaceParams; result: MmapRaceResult };
  /** Release every probe buffer, file, transfer and mount. */
  'mmap.reset': { params: Record<string, never>; result: Record<string, never> };
  /** Tear everything down and exit after replying. */
  shutdown: { params: Record<string, never>; result: Record<string, never> };
}

/** The DMABUF methods (dmabuf-protocol.ts) belong to the protocol too. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds these methods to Methods
export interface Methods extends DmabufMethods {}

/** The fault and race methods (fault-protocol.ts) belong to the protocol too. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds these methods to Methods
export interface Methods extends FaultMethods {}

export type MethodName = keyof Methods;

export const METHOD_NAMES: readonly MethodName[] = [
  'hello', 'features', 'gadget.create', 'program.start', 'program.run', 'program.status', 'program.stop',
  'gadget.bind', 'gadget.unbind', 'gadget.remove', 'kernel.log', 'kernel.messages', 'shutdown',
  'function.create', 'function.status', 'stream.start', 'stream.status', 'stream.wait', 'stream.stop',
  'mmap.mount', 'mmap.remount', 'mmap.unmount', 'mmap.mounts', 'mmap.open', 'mmap.protect', 'mmap.meminfo', 'mmap.contiguous', 'mmap.dup', 'mmap.close', 'mmap.buffer', 'mmap.fill', 'mmap.release',
  'mmap.mremap', 'mmap.poke', 'mmap.peek', 'mmap.submit', 'mmap.wait', 'mmap.race', 'mmap.reset',
  ...DMABUF_METHOD_NAMES,
  ...FAULT_METHOD_NAMES,
];
