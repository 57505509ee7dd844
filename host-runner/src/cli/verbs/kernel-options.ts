import { KERNEL_VARIANTS, variantArch, type KernelVariant } from '@ffs-lab/fixtures/kernel/kernel-variant';
import { KERNEL_ARCHES, PAGE_SIZES, type PageSize } from '@ffs-lab/fixtures/kernel/kernel-arch';
import type { KernelChoice } from '@ffs-lab/fixtures/lab/lab-kernel';
import { usageError } from '@ffs-lab/contract/exit-codes';
import type { OptionSpec, ParsedArgs } from '../options';

/** Options that pick the lab's kernel; shared by `lab` and `bench`. */
export const KERNEL_OPTIONS: readonly OptionSpec[] = [
  { name: 'kernel', type: 'string', choices: KERNEL_VARIANTS, default: 'patched', description: 'kernel variant: patched (6.12 + our series), vanilla (6.12), debug (patched + KASAN, lockdep, kmemleak), dma-debug (patched + DMA API debugging, dummy_udc mapping every request), kcsan (patched + the KCSAN data-race detector), gzero (patched + the legacy g_zero built in, on the first of two dummy_udcs), patched-6.1 (6.1 + the series\' port), vanilla-6.1, arm64, arm64-16k, arm64-64k (patched, for arm64: what --arch arm64 --page-size picks)' },
  { name: 'kernel-tree', type: 'string', metavar: 'DIR', description: 'build this kernel source tree (out of tree, with the lab config fragment merged in) instead of --kernel' },
  { name: 'kernel-image', type: 'string', metavar: 'FILE', description: 'boot this prebuilt x86-64 bzImage instead of building --kernel; its config is checked first when found' },
  { name: 'kernel-config', type: 'string', metavar: 'FILE', description: 'with --kernel-image: the image\'s .config (default: config-<release> beside it, or the copy embedded by CONFIG_IKCONFIG)' },
];

/** The lab's machine options (`lab` only): the architecture, its page size, a 32-bit agent. */
export const ARCH_OPTIONS: readonly OptionSpec[] = [
  { name: 'arch', type: 'string', choices: KERNEL_ARCHES, default: 'x86_64', description: 'the lab machine: x86_64, or arm64 (our series on Debian\'s 6.12 cross-built for arm64, booted on QEMU\'s virt machine (TCG on an x86_64 machine) with a root of Debian arm64 packages; the agent is deployed as the arm64 bundle, or the armhf one with --compat armhf)' },
  { name: 'page-size', type: 'string', choices: PAGE_SIZES, description: 'with --arch arm64: the kernel\'s page size (default 4k)' },
  { name: 'compat', type: 'string', choices: ['armhf'], description: 'with --arch arm64: run the agent as a 32-bit armhf process (Debian\'s armhf Node.js on the arm64 kernel), so descriptors, ep0 events, AIO, mmap and DMABUF go through the kernel\'s compat paths' },
];

/**
 * The kernel a `lab` run boots once `--arch` and `--page-size` are applied to `--kernel`: arm64
 * takes the patched series (an x86_64 variant, a tree or an image with it is a usage error).
 */
export function archKernelChoice(verb: string, args: ParsedArgs): KernelChoice {
  const v = args.values;
  const choice = kernelChoiceOf(verb, args);
  const pageSize = v['page-size'] as PageSize | undefined;
  const compat = v.compat as string | undefined;
  if (v.arch !== 'arm64') {
    if (pageSize) throw usageError(`${verb}: --page-size goes with --arch arm64 (x86_64 has 4K pages)`);
    if (compat && !(choice.kind === 'variant' && variantArch(choice.variant).arch === 'arm64')) throw usageError(`${verb}: --compat ${compat} goes with --arch arm64`);
    return choice;
  }
  if (choice.kind !== 'variant') throw usageError(`${verb}: --arch arm64 builds our arm64 kernel; --kernel-tree and --kernel-image are x86_64 only`);
  const given = variantArch(choice.variant);
  if (choice.variant !== 'patched' && given.arch !== 'arm64') throw usageError(`${verb}: --arch arm64 boots the patched 6.12 built for arm64; --kernel ${choice.variant} is an x86_64 kernel`);
  if (given.arch === 'arm64' && pageSize && pageSize !== given.pageSize) throw usageError(`${verb}: --kernel ${choice.variant} has ${given.pageSize} pages, not --page-size ${pageSize}`);
  const size = pageSize ?? (given.arch === 'arm64' ? given.pageSize : '4k');
  return { kind: 'variant', variant: size === '4k' ? 'arm64' : `arm64-${size}` };
}

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
