import { AgentError } from '../session/agent-error';

/**
 * Field checks for the `mmap.*` probe methods: each throws BAD_REQUEST naming the method and the
 * field, so a malformed request never reaches a syscall.
 */
export class ProbeParams {
  private readonly p: Record<string, unknown>;

  constructor(raw: unknown, private readonly method: string) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AgentError('BAD_REQUEST', `${method}: params must be an object`);
    this.p = raw as Record<string, unknown>;
  }

  /** An integer in [min, max]; `dflt` when absent (required when no default is given). */
  int(key: string, min: number, max: number, dflt?: number): number {
    const v = this.p[key];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be an integer ${min}..${max}`);
    return v;
  }

  /** A boolean; false when absent. */
  flag(key: string): boolean {
    const v = this.p[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be a boolean`);
    return v;
  }

  /** One of `choices`. */
  choice<T extends string>(key: string, choices: readonly T[], dflt?: T): T {
    const v = this.p[key];
    if (v === undefined && dflt !== undefined) return dflt;
    if (!(choices as readonly unknown[]).includes(v)) throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be one of ${choices.join(', ')}`);
    return v as T;
  }

  /** An absolute directory path (no NUL, at most 4096 characters); undefined when absent. */
  directory(key: string): string | undefined {
    const v = this.p[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0') || v.length > 4096) throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be an absolute path`);
    return v;
  }

  /** An endpoint file name: `ep0`..`ep31`. */
  endpointFile(key: string): string {
    const v = this.p[key];
    if (typeof v !== 'string' || !/^ep([0-9]|[12][0-9]|3[01])$/.test(v)) throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be an endpoint file name (ep0..ep31)`);
    return v;
  }

  /** A mount reference: an `mmap.mount` id or `function`. */
  mount(key: string): number | 'function' {
    const v = this.p[key];
    if (v === 'function') return v;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
    throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be an mmap.mount id or 'function'`);
  }

  /** Mount options: an object of option name to string, number or boolean. */
  mountOptions(key: string): Record<string, string | number | boolean> | undefined {
    const v = this.p[key];
    if (v === undefined) return undefined;
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => !['string', 'number', 'boolean'].includes(typeof x))) {
      throw new AgentError('BAD_REQUEST', `${this.method}: ${key} must be an object of string, number or boolean values`);
    }
    return v as Record<string, string | number | boolean>;
  }
}
