/**
 * A FunctionFS function as both ends describe it: its interface and data endpoints, per speed,
 * and the USB 2.0/3.x rules FunctionFS and composite enforce on it. The addon encodes it
 * (native/lib/descriptors.ts); the agent protocol carries it.
 */

/** Speeds a descriptor set is given for. */
export type Speed = 'fs' | 'hs' | 'ss';
export type TransferType = 'bulk' | 'interrupt' | 'isochronous';

/** One data endpoint of the interface. */
export interface EndpointSpec {
  /** 1..15; FunctionFS maps it to a real address at bind time (dummy_udc renumbers). */
  number: number;
  direction: 'in' | 'out';
  type: TransferType;
  /** wMaxPacketSize per speed; defaults: bulk 64/512/1024, interrupt 64/1024/1024, iso 1023/1024/1024. */
  maxPacket?: Partial<Record<Speed, number>>;
  /** bInterval (interrupt/isochronous); default 1. */
  interval?: number;
  /** SuperSpeed companion bMaxBurst, 0..15; default 0. */
  ssMaxBurst?: number;
}

/** Optional FunctionFS header flags. */
export interface FfsFlags {
  /** FUNCTIONFS_EVENTFD: ep0 events also signal this eventfd. */
  eventfd?: number;
  /** FUNCTIONFS_ALL_CTRL_RECIP: deliver every control request, not only the interface's. */
  allCtrlRecip?: boolean;
  /** FUNCTIONFS_CONFIG0_SETUP: deliver control requests in configuration 0 too. */
  config0Setup?: boolean;
}

/** One vendor (by default) interface with its endpoints, for the speeds asked. */
export interface FunctionSpec {
  /** Default 0xff (vendor specific: WebUSB and libusb accept it with no class driver). */
  interfaceClass?: number;
  interfaceSubclass?: number;
  interfaceProtocol?: number;
  /** Index of the interface string (1-based into the strings' list); 0 for none. Default 1. */
  interfaceString?: number;
  endpoints: EndpointSpec[];
  /** Default: all three. */
  speeds?: Speed[];
  flags?: FfsFlags;
}

/** Speeds in the order FunctionFS's descriptor blob lists them. */
export const SPEEDS: readonly Speed[] = ['fs', 'hs', 'ss'];
const TRANSFER_TYPES: readonly TransferType[] = ['bulk', 'interrupt', 'isochronous'];

/** The maxPacket of an endpoint that names none, by transfer type and speed. */
export function defaultMaxPacket(type: TransferType, speed: Speed): number {
  if (type === 'bulk') return { fs: 64, hs: 512, ss: 1024 }[speed];
  if (type === 'interrupt') return { fs: 64, hs: 1024, ss: 1024 }[speed];
  return { fs: 1023, hs: 1024, ss: 1024 }[speed];
}

/** Check a spec against the USB 2.0/3.x rules FunctionFS and composite enforce. */
export function validateFunction(spec: FunctionSpec): string[] {
  const p: string[] = [];
  const speeds = spec.speeds ?? ['fs', 'hs', 'ss'];
  if (speeds.length === 0) p.push('at least one speed is needed');
  for (const s of speeds) if (!SPEEDS.includes(s)) p.push(`unknown speed '${s}'`);
  if (!Array.isArray(spec.endpoints)) return [...p, 'endpoints must be an array'];
  if (spec.endpoints.length > 30) p.push('at most 30 endpoints (15 per direction)');
  const byte = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 255)) p.push(`${name} must be 0..255`);
  };
  byte(spec.interfaceClass, 'interfaceClass');
  byte(spec.interfaceSubclass, 'interfaceSubclass');
  byte(spec.interfaceProtocol, 'interfaceProtocol');
  byte(spec.interfaceString, 'interfaceString');
  const seen = new Set<string>();
  spec.endpoints.forEach((e, i) => {
    const at = `endpoint ${i}`;
    if (!Number.isInteger(e.number) || e.number < 1 || e.number > 15) p.push(`${at}: number must be 1..15 (0 is the control endpoint)`);
    if (e.direction !== 'in' && e.direction !== 'out') p.push(`${at}: direction must be 'in' or 'out'`);
    if (!TRANSFER_TYPES.includes(e.type)) p.push(`${at}: type must be bulk, interrupt or isochronous`);
    const key = `${e.number}${e.direction}`;
    if (seen.has(key)) p.push(`${at}: endpoint ${e.number} ${e.direction} declared twice`);
    seen.add(key);
    for (const s of speeds) {
      const mps = e.maxPacket?.[s] ?? defaultMaxPacket(e.type, s);
      if (!Number.isInteger(mps) || mps < 1) p.push(`${at}: ${s} maxPacket must be a positive integer`);
      else if (e.type === 'bulk' && s === 'fs' && ![8, 16, 32, 64].includes(mps)) p.push(`${at}: full-speed bulk maxPacket must be 8, 16, 32 or 64 (got ${mps})`);
      else if (e.type === 'bulk' && s === 'hs' && mps !== 512) p.push(`${at}: high-speed bulk maxPacket must be 512 (got ${mps})`);
      else if (e.type === 'bulk' && s === 'ss' && mps !== 1024) p.push(`${at}: SuperSpeed bulk maxPacket must be 1024 (got ${mps})`);
      else if (e.type !== 'bulk' && mps > (s === 'fs' ? (e.type === 'isochronous' ? 1023 : 64) : 1024)) p.push(`${at}: ${s} ${e.type} maxPacket too large (${mps})`);
    }
    if (e.interval !== undefined && (!Number.isInteger(e.interval) || e.interval < 1 || e.interval > 255)) p.push(`${at}: interval must be 1..255`);
    if (e.type === 'isochronous' && e.interval !== undefined && e.interval > 16) p.push(`${at}: isochronous interval must be 1..16`);
    if (e.ssMaxBurst !== undefined && (!Number.isInteger(e.ssMaxBurst) || e.ssMaxBurst < 0 || e.ssMaxBurst > 15)) p.push(`${at}: ssMaxBurst must be 0..15`);
  });
  const f = spec.flags ?? {};
  if (f.eventfd !== undefined && (!Number.isInteger(f.eventfd) || f.eventfd < 0)) p.push('flags.eventfd must be a file descriptor');
  return p;
}
