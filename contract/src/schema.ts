/**
 * A small schema language for the agent protocol's request params: each schema checks an
 * untrusted JSON value and names every problem by its path (`gadget.vendorId`, `argv[2]`).
 * Checking never recurses deeper than the schema itself, so a hostile value of any depth or
 * width costs at most one pass over the fields the schema names (plus a key count per object).
 */
export interface Schema<T> {
  /** What a valid value looks like, for messages ("an integer 1..256"). */
  readonly expects: string;
  /** True when the field may be absent (see {@link optional}). */
  readonly optional?: boolean;
  /** An {@link object}'s fields (also through {@link refined}), for tools that walk a schema (the fuzz). */
  readonly fields?: Readonly<Record<string, Schema<unknown>>>;
  /** Check `v` (found at `at`); push one line per problem. The value is only meaningful when nothing was pushed. */
  check(v: unknown, at: string, problems: string[]): T;
}

/** The type a schema accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Most problems named in one message: the rest are counted. */
const MAX_PROBLEMS = 8;

/** Longest string any field takes unless its schema says otherwise (characters). */
const DEFAULT_MAX_STRING = 4096;

function must(problems: string[], at: string, expects: string): void {
  problems.push(`${at} must be ${expects}`);
}

/** A safe integer in [min, max]. */
export function int(min: number, max: number): Schema<number> {
  const expects = `an integer ${min}..${max}`;
  return {
    expects,
    check(v, at, problems) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) must(problems, at, expects);
      return v as number;
    },
  };
}

/** A boolean. */
export function bool(): Schema<boolean> {
  return {
    expects: 'a boolean',
    check(v, at, problems) {
      if (typeof v !== 'boolean') must(problems, at, 'a boolean');
      return v as boolean;
    },
  };
}

/** A string without NUL of at most `max` characters, matching `pattern` when given (described by `expects`). */
export function str(opts: { max?: number; pattern?: RegExp; expects?: string } = {}): Schema<string> {
  const max = opts.max ?? DEFAULT_MAX_STRING;
  const expects = opts.expects ?? `a string of at most ${max} characters without NUL`;
  return {
    expects,
    check(v, at, problems) {
      if (typeof v !== 'string' || v.length > max || v.includes('\0') || (opts.pattern && !opts.pattern.test(v))) must(problems, at, expects);
      return v as string;
    },
  };
}

/** One of the given literal values. */
export function oneOf<const T extends string | number>(values: readonly T[]): Schema<T> {
  const expects = `one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`;
  return {
    expects,
    check(v, at, problems) {
      if (!(values as readonly unknown[]).includes(v)) must(problems, at, expects);
      return v as T;
    },
  };
}

/** Either schema (tried in order; the problems of neither are reported as one). */
export function either<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  const expects = `${a.expects} or ${b.expects}`;
  return {
    expects,
    check(v, at, problems) {
      const scratch: string[] = [];
      a.check(v, at, scratch);
      if (!scratch.length) return v as A;
      scratch.length = 0;
      b.check(v, at, scratch);
      if (scratch.length) must(problems, at, expects);
      return v as B;
    },
  };
}

/** An array of at most `max` items, each checked by `item`. */
export function arrayOf<T>(item: Schema<T>, opts: { min?: number; max: number }): Schema<T[]> {
  const min = opts.min ?? 0;
  const expects = `an array of ${min}..${opts.max} items, each ${item.expects}`;
  return {
    expects,
    check(v, at, problems) {
      if (!Array.isArray(v) || v.length < min || v.length > opts.max) {
        must(problems, at, expects);
        return v as T[];
      }
      for (let i = 0; i < v.length && problems.length <= MAX_PROBLEMS; i++) item.check(v[i], `${at}[${i}]`, problems);
      return v as T[];
    },
  };
}

/** Names a record may never use: they would reach Object.prototype in code that copies records. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** An object of at most `maxKeys` entries whose keys match `key` and whose values `value` accepts. */
export function recordOf<T>(value: Schema<T>, opts: { key: RegExp; keyExpects: string; maxKeys: number }): Schema<Record<string, T>> {
  const expects = `an object of at most ${opts.maxKeys} entries (${opts.keyExpects}: ${value.expects})`;
  return {
    expects,
    check(v, at, problems) {
      if (!isPlainObject(v)) {
        must(problems, at, expects);
        return v as Record<string, T>;
      }
      const keys = Object.keys(v);
      if (keys.length > opts.maxKeys) {
        must(problems, at, expects);
        return v as Record<string, T>;
      }
      for (const k of keys) {
        if (problems.length > MAX_PROBLEMS) break;
        if (RESERVED_KEYS.has(k) || !opts.key.test(k)) problems.push(`${at}: key '${clip(k)}' must be ${opts.keyExpects}`);
        else value.check(v[k], `${at}.${k}`, problems);
      }
      return v as Record<string, T>;
    },
  };
}

/** Marks a field of {@link object} as optional: absent (undefined) is fine, anything else is checked. */
export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return {
    expects: s.expects,
    optional: true,
    ...(s.fields ? { fields: s.fields } : {}),
    check(v, at, problems) {
      return v === undefined ? undefined : s.check(v, at, problems);
    },
  };
}

/** A value `base` accepts that `refine` also accepts: refine returns the problems (in the field's words) it finds. */
export function refined<T>(base: Schema<T>, refine: (v: T) => readonly string[]): Schema<T> {
  return {
    expects: base.expects,
    ...(base.optional ? { optional: true } : {}),
    ...(base.fields ? { fields: base.fields } : {}),
    check(v, at, problems) {
      const before = problems.length;
      const out = base.check(v, at, problems);
      if (problems.length === before && out !== undefined) for (const p of refine(out)) problems.push(`${at}: ${p}`);
      return out;
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : undefined extends Infer<S[K]> ? K : never }[keyof S];
type Obj<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** An object with exactly these fields (those wrapped in {@link optional} may be absent); any other key is a problem. */
export function object<S extends Shape>(shape: S): Schema<{ [K in keyof Obj<S>]: Obj<S>[K] }> {
  const names = Object.keys(shape);
  const expects = names.length ? `an object with ${names.join(', ')}` : 'an empty object';
  return {
    expects,
    fields: shape,
    check(v, at, problems) {
      if (!isPlainObject(v)) {
        must(problems, at || 'params', 'an object');
        return v as never;
      }
      for (const k in v) {
        // An undefined value is an absent field: JSON.stringify drops it on the way to the agent.
        if (v[k] !== undefined && !Object.prototype.hasOwnProperty.call(shape, k)) {
          problems.push(`${at ? `${at}: ` : ''}unknown field '${clip(k)}'`);
          if (problems.length > MAX_PROBLEMS) return v as never;
        }
      }
      for (const k of names) {
        if (problems.length > MAX_PROBLEMS) break;
        const s = shape[k]!;
        const field = Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined;
        const path = at ? `${at}.${k}` : k;
        if (field === undefined && !s.optional) must(problems, path, s.expects);
        else s.check(field, path, problems);
      }
      return v as never;
    },
  };
}

/** The problems of `v` against `schema` as one line ("a must be ...; b must be ..."), or undefined when it is valid. */
export function problemsOf(schema: Schema<unknown>, v: unknown, at = ''): string | undefined {
  const problems: string[] = [];
  schema.check(v, at, problems);
  if (!problems.length) return undefined;
  const shown = problems.slice(0, MAX_PROBLEMS);
  return shown.join('; ') + (problems.length > shown.length ? `; and more (${shown.length} shown)` : '');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
}
