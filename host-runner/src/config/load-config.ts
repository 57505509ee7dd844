import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node } from 'yaml';
import { LabError, ExitCode } from '@ffs-lab/contract/exit-codes';
import { formatPath, validate, type ConfigProblem, type KeyPath } from './config-schema';
import { LAB_CONFIG_SCHEMA } from './lab-config-schema';
import type { LabConfig, TargetConfig } from './lab-config';

/** Default config file, used when `--config` is not given and it exists in the working directory. */
export const DEFAULT_CONFIG_FILE = 'ffs-lab.yaml';

/**
 * A config with mistakes: exit 2. The message lists every mistake on its own line as
 * `file:line: key.path: what is wrong`.
 */
export class ConfigError extends LabError {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`lab config ${file} has ${problems.length} mistake${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`, ExitCode.Usage);
    this.name = 'ConfigError';
  }
}

/** Read, parse (YAML, or JSON, which is YAML too) and validate a lab config file. Throws {@link ConfigError} (exit 2). */
export function loadLabConfig(file: string): LabConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LabError(`cannot read lab config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.Usage);
  }
  return parseLabConfig(text, file);
}

/** Parse and validate config text; `file` names it in messages and anchors relative paths. */
export function parseLabConfig(text: string, file: string): LabConfig {
  const lineCounter = new LineCounter();
  // uniqueKeys: a key written twice is a mistake (the second would silently win).
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `${file}:${lineOf(e.pos[0])}: ${e.message.split('\n')[0]}`));
  }
  const problems: ConfigProblem[] = [];
  const value = validate(doc.toJS({ maxAliasCount: 100 }) ?? null, LAB_CONFIG_SCHEMA, [], problems);
  if (problems.length > 0) {
    throw new ConfigError(
      file,
      problems.map((p) => {
        const offset = locate(doc.contents, p.path, Boolean(p.atKey));
        return `${file}${offset === undefined ? '' : `:${lineOf(offset)}`}: ${formatPath(p.path)}: ${p.message}`;
      }),
    );
  }
  const config = value as LabConfig;
  const base = path.dirname(path.resolve(file));
  for (const [name, t] of Object.entries(config.targets)) {
    t.name = name;
    resolvePaths(t, base);
  }
  return config;
}

/** Expand `~/` and make relative host-side paths relative to the config file's directory. */
function resolvePaths(t: TargetConfig, base: string): void {
  if (t.transport.type === 'ssh') {
    if (t.transport.identity) t.transport.identity = hostPath(t.transport.identity, base);
    if (t.transport.knownHosts) t.transport.knownHosts = hostPath(t.transport.knownHosts, base);
  }
  // agent and tools paths live on the target: left as written.
}

/** A path on this machine: `~/x` is under the home directory, relative paths are relative to `base`. */
export function hostPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(base, p);
}

/**
 * Source offset of the node at `keyPath` (the key itself when `atKey`), or of the deepest
 * existing ancestor for missing keys, so that every message gets a line number.
 */
function locate(root: unknown, keyPath: KeyPath, atKey: boolean): number | undefined {
  let node = root as Node | null | undefined;
  // Offset of the key (or list item) that leads to the current node: a missing key is reported
  // on the line of its parent's key, which is where the user has to add it.
  let offset = node?.range?.[0];
  for (let i = 0; i < keyPath.length; i++) {
    const seg = keyPath[i]!;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      if (i === keyPath.length - 1 && !atKey) return (pair.value as Node | null)?.range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
      if (!node) return offset;
      offset = node.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}
