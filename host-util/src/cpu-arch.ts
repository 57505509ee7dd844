import type { Requirement } from './prerequisites';

/**
 * The machine architectures the lab builds programs for (kernels, the lab tools, the C pair, the
 * agent's addon), by Debian's names: the one table of what identifies each of them elsewhere.
 */
export const CPU_ARCHES = ['x86_64', 'arm64', 'armhf'] as const;
export type CpuArch = (typeof CPU_ARCHES)[number];

/** What names one architecture to node, to the GNU toolchain and in an ELF header. */
export interface CpuArchSpec {
  /** `process.arch` of a node running there. */
  nodeArch: string;
  /** GNU triplet: Debian's cross compilers are `<triplet>-gcc` in `gcc-<triplet with - for _>`. */
  triplet: string;
  /** ELF `e_machine`, and `EI_CLASS` (1: 32-bit, 2: 64-bit). */
  elfMachine: number;
  elfClass: 1 | 2;
}

export const CPU_ARCH_SPECS: Readonly<Record<CpuArch, CpuArchSpec>> = {
  x86_64: { nodeArch: 'x64', triplet: 'x86_64-linux-gnu', elfMachine: 62, elfClass: 2 },
  arm64: { nodeArch: 'arm64', triplet: 'aarch64-linux-gnu', elfMachine: 183, elfClass: 2 },
  armhf: { nodeArch: 'arm', triplet: 'arm-linux-gnueabihf', elfMachine: 40, elfClass: 1 },
};

/** The architecture a node whose `process.arch` is `nodeArch` runs on, when it is one of ours. */
export function cpuArchOfNode(nodeArch: string): CpuArch | undefined {
  return CPU_ARCHES.find((a) => CPU_ARCH_SPECS[a].nodeArch === nodeArch);
}

/** Are programs for `arch` built natively on a machine whose node says `hostArch`? */
export function isNativeArch(arch: CpuArch, hostArch: string = process.arch): boolean {
  return CPU_ARCH_SPECS[arch].nodeArch === hostArch;
}

/** A compiler as a command and the Debian package that provides it. */
export interface Compiler extends Requirement {
  /** The command (`gcc`, or `aarch64-linux-gnu-gcc` when cross). */
  needs: string;
}

/**
 * The `tool` (gcc or g++) that builds `arch` programs here: the plain one on a machine of that
 * architecture, else Debian's cross compiler (`g++-aarch64-linux-gnu`, `gcc-x86-64-linux-gnu`).
 */
export function compilerFor(arch: CpuArch, tool: 'gcc' | 'g++' = 'gcc', hostArch: string = process.arch): Compiler {
  if (isNativeArch(arch, hostArch)) return { needs: tool, pkg: tool };
  const triplet = CPU_ARCH_SPECS[arch].triplet;
  return { needs: `${triplet}-${tool}`, pkg: `${tool}-${triplet.replace(/_/g, '-')}` };
}

/** `CROSS_COMPILE=` for make: empty on a machine of the same architecture. */
export function crossCompilePrefix(arch: CpuArch, hostArch: string = process.arch): string {
  return isNativeArch(arch, hostArch) ? '' : `${CPU_ARCH_SPECS[arch].triplet}-`;
}
