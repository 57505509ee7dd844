import { didYouMean } from './did-you-mean';

/** A key path into the config, e.g. `['targets', 'rpi4', 'transport', 'port']`. */
export type KeyPath = readonly (string | number)[];

/** One mistake in a config: where, and what is wrong (one line). */
export interface ConfigProblem {
  path: KeyPath;
  message: string;
  /** The problem is about the key itself (unknown key), not its value: point at the key. */
  atKey?: boolean;
}

/** A field of an object schema. */
export interface FieldSpec {
  schema: Schema;
  required?: boolean;
}

/**
 * What a value must look like. A tiny declarative schema, so that the validator can report every
 * mistake at once (a thrown exception would stop at the first one).
 */
export type Schema =
  /** `hideValue`: never echo the value (a field where people paste secrets by mistake). */
  | { kind: 'string'; pattern?: RegExp; expect?: string; hideValue?: boolean }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  /** A 16-bit USB ID: an integer 0..0xffff, or a hex string (`1d6b`, `0x1d6b`). */
  | { kind: 'usbId' }
  | { kind: 'array'; of: Schema; minItems?: number }
  | { kind: 'object'; fields: Record<string, FieldSpec> }
  /** An object whose keys are names (targets by name). */
  | { kind: 'map'; of: Schema; keyPattern: RegExp; keyExpect: string; minEntries?: number }
  /** Objects told apart by the enum field `tag` (e.g. `type: ssh`). */
  | { kind: 'tagged'; tag: string; variants: Record<string, Record<string, FieldSpec>> };

/**
 * Keys that name members of Object.prototype's machinery: never valid anywhere in a config. Plain
 * objects would resolve them through the prototype (a lookup table finds `Object` itself), or
 * assigning one would replace an object's prototype.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The problem for a reserved key `k` at `path` (the key's own path). */
function reservedKey(path: KeyPath, k: string): ConfigProblem {
  return { path, message: `'${k}' is a reserved name and cannot be a key`, atKey: true };
}

/** The path as written in messages: `targets.rpi4.agent.command[0]`. */
export function formatPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';
}

/**
 * Check `value` against `schema`, pushing one problem per mistake, and return the value
 * normalised (USB IDs as numbers). Keeps going after mistakes so that all are reported.
 */
export function validate(value: unknown, schema: Schema, path: KeyPath, problems: ConfigProblem[]): unknown {
  const bad = (message: string) => {
    problems.push({ path, message });
    return undefined;
  };
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') return bad(`expected ${schema.expect ?? 'a string'}, got ${describe(value)}`);
      if (value === '') return bad(`must not be empty`);
      if (schema.pattern && !schema.pattern.test(value)) return bad(`expected ${schema.expect ?? `a string matching ${schema.pattern}`}, got ${schema.hideValue ? 'something else (not shown: it may be a secret)' : describe(value)}`);
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(`expected a whole number from ${schema.min} to ${schema.max}, got ${describe(value)}`);
      if (value < schema.min || value > schema.max) return bad(`must be from ${schema.min} to ${schema.max}, got ${value}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') return bad(`expected true or false, got ${describe(value)}`);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value)) {
        const hint = typeof value === 'string' ? didYouMean(value, schema.values) : undefined;
        return bad(`must be one of ${schema.values.join(', ')}, got ${describe(value)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
      }
      return value;
    case 'usbId': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^(0x)?[0-9a-f]{1,4}$/i.test(value) ? parseInt(value.replace(/^0x/i, ''), 16) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) return bad(`expected a 16-bit USB ID (0x1d6b, or the string "1d6b"), got ${describe(value)}`);
      return n;
    }
    case 'array':
      if (!Array.isArray(value)) return bad(`expected a list, got ${describe(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) return bad(`needs at least ${schema.minItems} element${schema.minItems === 1 ? '' : 's'}`);
      return value.map((v, i) => validate(v, schema.of, [...path, i], problems));
    case 'object':
      return validateFields(value, schema.fields, path, problems, []);
    case 'map': {
      if (!isPlainObject(value)) return bad(`expected a mapping of names to entries, got ${describe(value)}`);
      const out: Record<string, unknown> = {};
      const entries = Object.entries(value);
      if (schema.minEntries !== undefined && entries.length < schema.minEntries) bad(`needs at least ${schema.minEntries} entr${schema.minEntries === 1 ? 'y' : 'ies'}`);
      for (const [k, v] of entries) {
        if (RESERVED_KEYS.has(k)) {
          problems.push(reservedKey([...path, k], k));
          continue;
        }
        if (!schema.keyPattern.test(k)) problems.push({ path: [...path, k], message: `bad name: expected ${schema.keyExpect}`, atKey: true });
        out[k] = validate(v, schema.of, [...path, k], problems);
      }
      return out;
    }
    case 'tagged': {
      if (!isPlainObject(value)) return bad(`expected a mapping with '${schema.tag}: ${Object.keys(schema.variants).join('|')}', got ${describe(value)}`);
      const tags = Object.keys(schema.variants);
      const tag = value[schema.tag];
      if (tag === undefined) {
        problems.push({ path: [...path, schema.tag], message: `missing (required; one of ${tags.join(', ')})` });
        return undefined;
      }
      if (typeof tag !== 'string' || !tags.includes(tag)) {
        const hint = typeof tag === 'string' ? didYouMean(tag, tags) : undefined;
        problems.push({ path: [...path, schema.tag], message: `must be one of ${tags.join(', ')}, got ${describe(tag)}${hint ? ` (did you mean '${hint}'?)` : ''}` });
        return undefined;
      }
      const fields = Object.hasOwn(schema.variants, tag) ? schema.variants[tag]! : {};
      const result = validateFields(value, fields, path, problems, [schema.tag], tag);
      if (result && typeof result === 'object') (result as Record<string, unknown>)[schema.tag] = tag;
      return result;
    }
  }
}

function validateFields(value: unknown, fields: Record<string, FieldSpec>, path: KeyPath, problems: ConfigProblem[], extraKeys: string[], variant?: string): unknown {
  if (!isPlainObject(value)) {
    problems.push({ path, message: `expected a mapping with keys ${Object.keys(fields).join(', ')}, got ${describe(value)}` });
    return undefined;
  }
  const known = [...extraKeys, ...Object.keys(fields)];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (RESERVED_KEYS.has(k)) {
      problems.push(reservedKey([...path, k], k));
      continue;
    }
    if (extraKeys.includes(k)) continue;
    const spec = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!spec) {
      const hint = didYouMean(k, known);
      const where = variant ? ` for ${variant}` : '';
      problems.push({ path: [...path, k], message: `unknown key${where}${hint ? ` (did you mean '${hint}'?)` : ` (known: ${known.join(', ')})`}`, atKey: true });
      continue;
    }
    // YAML `key:` with nothing after it is null: treat like an absent optional key, but a required one is missing.
    if (v === null && !spec.required) continue;
    out[k] = validate(v, spec.schema, [...path, k], problems);
  }
  for (const [k, spec] of Object.entries(fields)) {
    if (spec.required && (!Object.hasOwn(value, k) || value[k] === undefined || value[k] === null)) problems.push({ path: [...path, k], message: 'missing (required)' });
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as shown in messages: type and a short rendering. */
function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number' : typeof v} ${String(v)}`;
}
