/**
 * The agent protocol: JSON lines on the agent's stdin (requests) and stdout (replies), one object
 * per line. Every request gets exactly one reply with the same id. The runner imports these types,
 * so both sides agree at compile time; PROTOCOL_VERSION guards against mismatched deployments.
 */
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
}

/** Zero-copy interfaces a kernel's FunctionFS offers, as probed on an unbound function. */
export interface KernelFeatures {
  /** mmap of a data endpoint file: `present` when it maps, `absent` on ENODEV. */
  mmap: 'present' | 'absent' | 'unknown';
  /** errno (or `ok`) of the probes, for the report. */
  mmapProbe: string;
  ep0MmapProbe: string;
  /** FUNCTIONFS_DMABUF_ATTACH: `present` when the ioctl exists (EPERM/EBADF/ok), `absent` on ENOTTY/EINVAL. */
  dmabuf: 'present' | 'absent' | 'unknown';
  dmabufProbe: string;
}

/** Reply of `hello`. */
export interface HelloResult {
  protocol: number;
  agentVersion: string;
  pid: number;
  kernelRelease: string;
  /** UDC names in /sys/class/udc. */
  udcs: string[];
}

/** State of the FunctionFS program the agent started. */
export interface ProgramStatus {
  running: boolean;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Last lines of its stdout+stderr. */
  output: string[];
}

/** Every method: its params and its result. */
export interface Methods {
  hello: { params: Record<string, never>; result: HelloResult };
  /** Probe mmap/DMABUF support with the given probe binary on a throwaway function. */
  features: { params: { probe: string }; result: KernelFeatures };
  /** Create the configfs gadget and mount its FunctionFS instance (cleans a stale one first). */
  'gadget.create': { params: GadgetSpec; result: { configfs: string; mount: string } };
  /** Start a FunctionFS program (it writes the descriptors); wait until `waitFor` files exist in the mount. */
  'program.start': { params: { argv: string[]; cwdInMount?: boolean; waitFor?: string[]; timeoutMs?: number }; result: { pid: number } };
  'program.status': { params: Record<string, never>; result: ProgramStatus };
  /** Stop the program (SIGTERM, then SIGKILL after 2 s). */
  'program.stop': { params: Record<string, never>; result: ProgramStatus };
  /** Bind to a UDC: the named one, or the only one present. */
  'gadget.bind': { params: { udc?: string }; result: { udc: string } };
  'gadget.unbind': { params: Record<string, never>; result: Record<string, never> };
  /** Unbind, stop the program, unmount, remove from configfs. Idempotent. */
  'gadget.remove': { params: Record<string, never>; result: Record<string, never> };
  /** Tear everything down and exit after replying. */
  shutdown: { params: Record<string, never>; result: Record<string, never> };
}

export type MethodName = keyof Methods;

export const METHOD_NAMES: readonly MethodName[] = [
  'hello', 'features', 'gadget.create', 'program.start', 'program.status', 'program.stop',
  'gadget.bind', 'gadget.unbind', 'gadget.remove', 'shutdown',
];
