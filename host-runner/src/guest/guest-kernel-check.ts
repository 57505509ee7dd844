import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { checkConfig, describeProblem, REQUIRED_SYMBOLS } from '../../../fixtures/kernel/src/kernel-config-check';

/**
 * What the running kernel shows of a requirement when it has no /proc/config.gz: a path that
 * exists only when the feature is built in (the lab VM loads no modules).
 */
const RUNTIME_EVIDENCE: Readonly<Record<string, () => boolean>> = {
  CONFIG_USB_DUMMY_HCD: () => fs.existsSync('/sys/bus/platform/drivers/dummy_udc'),
  CONFIG_USB: () => fs.existsSync('/sys/bus/usb'),
  CONFIG_USB_GADGET: () => fs.existsSync('/sys/class/udc'),
  CONFIG_CONFIGFS_FS: () => filesystems().includes('configfs'),
  CONFIG_USB_F_FS: () => filesystems().includes('functionfs'),
  CONFIG_AIO: () => fs.existsSync('/proc/sys/fs/aio-max-nr'),
  CONFIG_UDMABUF: () => fs.existsSync('/dev/udmabuf'),
  CONFIG_USB_TEST: () => fs.existsSync('/sys/bus/usb/drivers/usbtest'),
};

function filesystems(): string[] {
  try {
    return fs.readFileSync('/proc/filesystems', 'utf8').split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
  } catch {
    return [];
  }
}

/** Written to the report dir when the guest refuses its kernel: one lacking requirement per line. */
export const KERNEL_CHECK_FILE = 'kernel-check.txt';

/** The outcome of checking the running kernel against the lab's requirements. */
export interface GuestKernelCheck {
  /** `/proc/config.gz`, or `the running kernel` when only runtime evidence was available. */
  source: string;
  /** One line per lacking requirement. */
  lacking: string[];
}

/**
 * Check the kernel this process runs on against REQUIRED_SYMBOLS: through /proc/config.gz when
 * the kernel has CONFIG_IKCONFIG_PROC, otherwise through the runtime evidence above (symbols
 * without evidence are then assumed present: the suites will say more).
 */
export function checkRunningKernel(configGz = '/proc/config.gz'): GuestKernelCheck {
  if (fs.existsSync(configGz)) {
    const text = zlib.gunzipSync(fs.readFileSync(configGz)).toString('utf8');
    return { source: configGz, lacking: checkConfig(text, [], false).filter((p) => p.fatal).map((p) => describeProblem(p, `in ${configGz}`)) };
  }
  const lacking: string[] = [];
  for (const [symbol, present] of Object.entries(RUNTIME_EVIDENCE)) {
    if (!present()) lacking.push(`${symbol} appears absent from the running kernel: needed for ${REQUIRED_SYMBOLS[symbol] ?? symbol}`);
  }
  return { source: 'the running kernel (no /proc/config.gz)', lacking };
}
