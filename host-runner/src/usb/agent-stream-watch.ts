import type { AgentClient } from '../agent/agent-client';

/** Poll interval of the agent's stream while the host end runs (ms). */
const WATCH_MS = 500;

/**
 * While the host end runs, poll the agent's stream; when it has failed (say an ENOMEM on its
 * buffers), abort the host end at once instead of letting it wait for data until its deadline.
 */
export function watchAgentStream(agent: AgentClient, id: number, abort: AbortController): { stop(): Promise<void> } {
  let running = true;
  let wake: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    while (running) {
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, WATCH_MS);
      });
      if (!running) return;
      const st = await agent.call('stream.status', { id }, 10_000).catch(() => undefined);
      if (st?.state === 'failed') {
        abort.abort(new Error(`the agent's stream failed: ${st.error?.code}: ${st.error?.message}`));
        return;
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      clearTimeout(timer);
      wake();
      await loop;
    },
  };
}
