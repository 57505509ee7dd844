import { infraError, LabError } from '@ffs-lab/contract/exit-codes';
import { MIN_NODE } from '../deploy/agent-bundle';
import type { AgentHandle } from '../suite-runner/lab-context';
import type { Transport } from '../transport/transport';
import { AgentClient } from './agent-client';

/** How {@link launchAgent} starts the agent and what it tells the user when it cannot. */
export interface AgentLaunch {
  /** The agent's argv on the target. */
  argv: readonly string[];
  /** For messages: the target's name (`--target` value). */
  targetName: string;
  /** Time for the agent to start and answer `hello`: ms. Default 30000. */
  timeoutMs?: number;
}

/**
 * Connect a fresh transport and start the agent on it. The transport belongs to the handle:
 * close() shuts the agent down (it tears its gadget down) and closes the connection.
 *
 * When the agent does not come up, one more command on the target finds out why, so that the
 * user reads "agent not found at /opt/ffs-lab/bin/ffs-lab-agent.js on ssh://...; run ffs-lab
 * deploy" instead of node's module-not-found stack (exit 3 either way).
 */
export async function launchAgent(makeTransport: () => Transport, launch: AgentLaunch): Promise<AgentHandle> {
  const transport = makeTransport();
  await transport.connect();
  try {
    const agent = await AgentClient.start(transport, launch.argv, launch.timeoutMs ?? 30_000);
    return {
      agent,
      close: async () => {
        await agent.close();
        await transport.close();
      },
    };
  } catch (err) {
    const why = err instanceof LabError ? await diagnoseMissingAgent(transport, launch).catch(() => undefined) : undefined;
    await transport.close();
    throw why ?? err;
  }
}

/** The argv elements a missing agent is recognised by: the program, and the script when it is a path. */
async function diagnoseMissingAgent(transport: Transport, launch: AgentLaunch): Promise<LabError | undefined> {
  const [program, script] = launch.argv;
  // Positional parameters, never interpolation: the paths may hold any character.
  const check = 'command -v "$1" >/dev/null 2>&1 || { echo no-program; exit 0; }; case "$2" in /*) [ -f "$2" ] || echo no-script;; esac; exit 0';
  const r = await transport.exec(['sh', '-c', check, 'sh', program!, script ?? ''], { timeoutMs: 15_000 });
  const deploy = `run 'ffs-lab deploy --target ${launch.targetName}'`;
  if (r.stdout.includes('no-program')) {
    return infraError(
      `cannot start the agent on ${transport.description}: '${program}' not found there`,
      program === 'node' || program!.endsWith('/node') ? `install Node.js >= ${MIN_NODE.join('.')} on the target (or set agent.node), then ${deploy}` : `check agent.command in the lab config, or ${deploy}`,
    );
  }
  if (r.stdout.includes('no-script')) {
    return infraError(`agent not found at ${script} on ${transport.description}; ${deploy}`);
  }
  return undefined;
}
