/**
 * A runner process for a fault campaign to kill: it does what `ffs-lab run` does at the start
 * of a stream (an agent over the target's transport, a function bound and opened on the host,
 * a stream between them) and reports on stdout, one line each: `agent <pid>` once the agent
 * answers, then `progress <bytes>` about every 100 ms. It is meant to die by SIGKILL mid-stream;
 * its SSH connection and its USB handle go with it, as they do when a real runner is killed.
 *
 * Usage: node runner-child.js '<json of RunnerChildJob>'
 */
import type { TargetConfig } from '../config/lab-config';
import { launchAgent } from '../agent/agent-launch';
import { targetOf } from '../run/target';
import { FaultGadget, type FaultGadgetOptions } from './fault-gadget';
import { FaultStream, type FaultStreamOptions } from './fault-stream';

/** What the child runs: the target, the function, the stream. */
export interface RunnerChildJob {
  target: TargetConfig;
  gadget: FaultGadgetOptions;
  stream: FaultStreamOptions;
}

async function main(job: RunnerChildJob): Promise<void> {
  const t = targetOf(job.target);
  const h = await launchAgent(() => t.makeTransport(), { argv: t.agentArgv, targetName: t.name, timeoutMs: t.commandTimeoutMs });
  process.stdout.write(`agent ${h.agent.hello!.pid}\n`);
  const g = await FaultGadget.create(h.agent, job.gadget);
  const s = await FaultStream.start(h.agent, g.dev!, job.stream);
  for (;;) {
    process.stdout.write(`progress ${await s.progress()}\n`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as RunnerChildJob).catch((err: Error) => {
    process.stderr.write(`runner-child: ${err.message}\n`);
    process.exit(1);
  });
}
