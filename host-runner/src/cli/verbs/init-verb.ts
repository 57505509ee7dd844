import * as fs from 'node:fs';
import { usageError } from '@ffs-lab/contract/exit-codes';
import type { Verb } from '../options';
import { configTemplate } from '../../config/config-template';
import { DEFAULT_CONFIG_FILE, parseLabConfig } from '../../config/load-config';

/** `ffs-lab init`: a commented lab config for one target, to start a hardware lab from. */
export const initVerb: Verb = {
  name: 'init',
  summary: `Write a commented lab config (${DEFAULT_CONFIG_FILE}) for one SSH target: the keys it needs, the others commented out with their defaults.`,
  options: [
    { name: 'target', type: 'string', metavar: 'NAME', description: 'the target\'s name in the config (required)' },
    { name: 'host', type: 'string', metavar: 'HOST', description: 'host name, address or ~/.ssh/config alias (default: NAME)' },
    { name: 'user', type: 'string', metavar: 'USER', description: 'SSH user (default: left to ~/.ssh/config, else yours)' },
    { name: 'udc', type: 'string', metavar: 'UDC', description: 'the board\'s UDC (default: the only one present)' },
    { name: 'proxy-jump', type: 'string', metavar: 'HOPS', description: 'jump hosts, [user@]host[:port] comma separated' },
    { name: 'output', type: 'string', metavar: 'FILE', default: DEFAULT_CONFIG_FILE, description: 'where to write it' },
    { name: 'force', type: 'boolean', description: 'replace an existing file' },
  ],
  details: `The file is checked as every lab config is before it is written. Next: ffs-lab doctor
--target NAME, then ffs-lab deploy and ffs-lab run (docs/boards.md).
Exit codes: 0 written, 2 usage error (a bad value, or the file exists without --force).`,
  async run(args) {
    const v = args.values;
    if (typeof v.target !== 'string') throw usageError('init: --target NAME is required (the name the target gets in the config)');
    const out = v.output as string;
    if (fs.existsSync(out) && !v.force) throw usageError(`init: ${out} exists`, 'give --force to replace it, or --output FILE');
    const text = configTemplate({
      name: v.target,
      host: typeof v.host === 'string' ? v.host : v.target,
      ...(typeof v.user === 'string' ? { user: v.user } : {}),
      ...(typeof v.udc === 'string' ? { udc: v.udc } : {}),
      ...(typeof v['proxy-jump'] === 'string' ? { proxyJump: v['proxy-jump'] } : {}),
    });
    parseLabConfig(text, out); // bad values are usage errors naming the key, before anything is written
    try {
      fs.writeFileSync(out, text, { flag: v.force ? 'w' : 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw usageError(`init: cannot write ${out}: ${code === 'EEXIST' ? 'it exists' : (code ?? (err as Error).message)}`, code === 'ENOENT' ? 'its directory must exist' : undefined);
    }
    process.stdout.write(`init: wrote ${out} (target '${v.target}'); next: ffs-lab doctor --config ${out} --target ${v.target}\n`);
    return 0;
  },
};
