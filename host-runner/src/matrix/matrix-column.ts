import { usageError } from '@ffs-lab/contract/exit-codes';
import { kernelLabel, parseKernelChoice, type KernelChoice } from '@ffs-lab/fixtures/lab/lab-kernel';
import { KERNEL_VARIANTS } from '@ffs-lab/fixtures/kernel/kernel-variant';

/** One column of a matrix: a kernel, and for arm64 whether the agent runs as a 32-bit process. */
export interface MatrixColumn {
  kernel: KernelChoice;
  /** `arm64-compat`: the arm64 kernel with an armhf agent (`lab --arch arm64 --compat armhf`). */
  compat?: 'armhf';
}

/** The column names that are not kernels. */
export const COMPAT_COLUMNS = ['arm64-compat'] as const;

/** Every built-in column name, for help texts. */
export const COLUMN_NAMES: readonly string[] = [...KERNEL_VARIANTS, ...COMPAT_COLUMNS];

/**
 * Parse one `matrix --kernels` entry: `arm64-compat`, or a kernel (a variant, `tree:DIR`,
 * `image:FILE`). Anything else is a usage error naming the accepted forms.
 */
export function parseMatrixColumn(token: string): MatrixColumn {
  const t = token.trim();
  if (t === 'arm64-compat') return { kernel: { kind: 'variant', variant: 'arm64' }, compat: 'armhf' };
  try {
    return { kernel: parseKernelChoice(t) };
  } catch {
    throw usageError(`unknown kernel '${t}' (a column: ${COLUMN_NAMES.join(', ')}; or tree:DIR, image:FILE)`);
  }
}

/** A column's label (and report subdirectory, made safe): the kernel's, or `arm64-compat`. */
export function columnLabel(column: MatrixColumn): string {
  return column.compat ? 'arm64-compat' : kernelLabel(column.kernel);
}
