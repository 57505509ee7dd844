import type { Verb } from '../options';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { runGuestJob } from '../../guest/guest-run';

/** `ffs-lab guest`: internal; what the lab VM's init runs. */
export const guestVerb: Verb = {
  name: 'guest',
  internal: true,
  summary: 'Internal: run a lab job inside the VM (started by the VM init; not for direct use).',
  options: [{ name: 'job', type: 'string', metavar: 'FILE', description: 'job.json written by `ffs-lab lab`' }],
  async run(args) {
    if (!args.values.job) throw usageError('guest: --job FILE is required');
    return runGuestJob(args.values.job as string);
  },
};
