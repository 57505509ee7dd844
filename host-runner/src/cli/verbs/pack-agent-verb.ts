import * as path from 'node:path';
import type { Verb } from '../options';
import { BUNDLE_ARCHES, MIN_NODE, packAgent, type BundleArch } from '../../deploy/agent-bundle';

/** `ffs-lab pack-agent`: build the self-contained agent bundle a board receives. */
export const packAgentVerb: Verb = {
  name: 'pack-agent',
  summary: `Build the gadget agent as a self-contained bundle for a board: bundled JavaScript for Node ${MIN_NODE.join('.')}+ and the addon compiled for its architecture.`,
  options: [
    { name: 'arch', type: 'string', choices: BUNDLE_ARCHES, default: 'x86_64', description: 'the board\'s architecture: x86_64, arm64 (aarch64) or armhf (32-bit ARM userspace)' },
    { name: 'out', type: 'string', metavar: 'DIR', description: 'directory to write the bundle to (new or empty; default ffs-lab-agent-<arch> in the current directory)' },
  ],
  details: `Writes ffs-lab-agent.js (the agent; run it with node), mmap-race-child.js and bindings.js
(modules the agent starts by path), ffs_native.node (the addon, built against node-api-headers
with Debian's compiler for the architecture: g++, g++-aarch64-linux-gnu or
g++-arm-linux-gnueabihf, installed when missing and run as root) and manifest.json (version,
architecture, every file's size and SHA-256). The bundle needs no npm, no compiler and no
node_modules on the board, only Node.js ${MIN_NODE.join('.')} or later; N-API is ABI-stable, so one build serves
every Node version.
Exit codes: 0 written, 2 usage (unknown architecture, a directory that is not empty, a compiler
that cannot be installed without root), 3 the build failed.`,
  async run(args) {
    const arch = args.values.arch as BundleArch;
    const out = path.resolve((args.values.out as string | undefined) ?? `ffs-lab-agent-${arch}`);
    const m = await packAgent(arch, out, (line) => process.stderr.write(`${line}\n`));
    const total = Object.values(m.files).reduce((a, f) => a + f.bytes, 0);
    for (const [name, f] of Object.entries(m.files)) process.stdout.write(`${name.padEnd(20)} ${String(f.bytes).padStart(9)} bytes  sha256 ${f.sha256}\n`);
    process.stdout.write(`ffs-lab-agent ${m.version} for ${m.arch} (Node ${m.node}): ${Object.keys(m.files).length + 1} files, ${total} bytes, in ${out}\n`);
    return 0;
  },
};
