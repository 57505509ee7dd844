import type { AgentErrorCode } from '@ffs-lab/contract/protocol';

/** An error the agent reports to the runner as `{ok: false, error: {code, message}}`. */
export class AgentError extends Error {
  constructor(readonly code: AgentErrorCode, message: string) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Turn anything thrown into an AgentError; system errors keep their errno name as the code. */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) {
    return new AgentError(e.code, e.message);
  }
  return new AgentError('INTERNAL', e?.message ?? String(err));
}
