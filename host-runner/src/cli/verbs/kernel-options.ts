import { KERNEL_VARIANTS, type KernelVariant } from '@ffs-lab/fixtures/kernel/kernel-variant';
import type { KernelChoice } from '@ffs-lab/fixtures/lab/lab-kernel';
import { usageError } from '@ffs-lab/contract/exit-codes';
import type { OptionSpec, ParsedArgs } from '../options';

/** Options that pick the lab's kernel; shared by `lab` and `bench`. */
export const KERNEL_OPTIONS: readonly OptionSpec[] = [
  { name: 'kernel', type: 'string', choices: KERNEL_VARIANTS, default: 'patched', description: 'kernel variant: patched (6.12 + our series), vanilla (6.12), debug (patched + KASAN, lockdep, kmemleak), dma-debug (patched + DMA API debugging, dummy_udc mapping every request), kcsan (patched + the KCSAN data-race detector), patched-6.1 (6.1 + the series\' port), vanilla-6.1' },
  { name: 'kernel-tree', type: 'string', metavar: 'DIR', description: 'build this kernel source tree (out of tree, with the lab config fragment merged in) instead of --kernel' },
  { name: 'kernel-image', type: 'string', metavar: 'FILE', description: 'boot this prebuilt x86-64 bzImage instead of building --kernel; its config is checked first when found' },
  { name: 'kernel-config', type: 'string', metavar: 'FILE', description: 'with --kernel-image: the image\'s .config (default: config-<release> beside it, or the copy embedded by CONFIG_IKCONFIG)' },
];

/**
 * `--kernel-append ARGS`: space-separated kernel arguments (`name` or `name=value`, printable, no
 * quotes); anything else is a usage error, since the line goes to the guest kernel as it is.
 */
export function bootArgsOf(text: string): string[] {
  const args = text.split(/\s+/).filter(Boolean);
  const bad = args.find((a) => !/^[A-Za-z0-9_.-]+(=[A-Za-z0-9_.,:=/+-]*)?$/.test(a));
  if (args.length === 0) throw usageError('lab: --kernel-append needs at least one argument (e.g. swiotlb=force)');
  if (bad !== undefined) throw usageError(`lab: --kernel-append: '${bad}' is not a kernel argument (name or name=value of [A-Za-z0-9_.,:=/+-])`);
  return args;
}

/** The kernel the options above describe; more than one of --kernel-tree/--kernel-image is a usage error. */
export function kernelChoiceOf(verb: string, args: ParsedArgs): KernelChoice {
  const v = args.values;
  const tree = typeof v['kernel-tree'] === 'string' ? (v['kernel-tree'] as string) : undefined;
  const image = typeof v['kernel-image'] === 'string' ? (v['kernel-image'] as string) : undefined;
  const config = typeof v['kernel-config'] === 'string' ? (v['kernel-config'] as string) : undefined;
  if (tree && image) throw usageError(`${verb}: --kernel-tree and --kernel-image exclude each other`);
  if (config && !image) throw usageError(`${verb}: --kernel-config goes with --kernel-image`);
  if (tree) return { kind: 'tree', dir: tree };
  if (image) return { kind: 'image', file: image, ...(config ? { config } : {}) };
  return { kind: 'variant', variant: v.kernel as KernelVariant };
}
