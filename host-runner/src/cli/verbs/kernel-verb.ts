import type { Verb } from '../options';
import { KERNEL_VARIANTS, recipeFor, treeRecipe, type KernelVariant } from '@ffs-lab/fixtures/kernel/kernel-variant';
import { ensureKernel } from '@ffs-lab/fixtures/kernel/kernel-build';
import { ensureLabTools } from '@ffs-lab/fixtures/kernel/lab-tools';

/** `ffs-lab kernel`: build (or find in the cache) a lab kernel and the lab tools, print where. */
export const kernelVerb: Verb = {
  name: 'kernel',
  summary: 'Build a lab kernel (Debian linux-source-6.12 or -6.1 + lab.config + the patch series, or your tree + lab.config; the arm64 variants cross-built) and the lab tools for its architecture, or reuse them from the cache.',
  options: [
    { name: 'kernel', type: 'string', choices: KERNEL_VARIANTS, default: 'patched', description: 'kernel variant' },
    { name: 'kernel-tree', type: 'string', metavar: 'DIR', description: 'build this kernel source tree instead (out of tree; the tree is only read)' },
    { name: 'keep-tree', type: 'boolean', description: 'keep the unpacked source and object tree after the build (under the cache work/ dir)' },
  ],
  details: 'Prints the kernel image path on stdout (bzImage; Image for arm64). Exit codes: 0 built or reused, 2 missing package (not root), 3 build failed.',
  async run(args) {
    const log = (l: string) => process.stderr.write(`${l}\n`);
    const tree = args.values['kernel-tree'];
    const recipe = typeof tree === 'string' ? treeRecipe(tree) : recipeFor(args.values.kernel as KernelVariant);
    const k = await ensureKernel(recipe, { log, keepTree: Boolean(args.values['keep-tree']) });
    const tools = await ensureLabTools(log, k.arch);
    log(`tools: ${tools.reused ? 'reused' : 'built'} in ${tools.dir}`);
    process.stdout.write(`${k.image}\n`);
    return 0;
  },
};
