import * as readline from 'node:readline';
import { AgentSession } from './agent-session';
import { toAgentError, AgentError } from './agent-error';
import { METHOD_NAMES, PROTOCOL_VERSION, type MethodName, type Reply } from './protocol';

/** Longest request line accepted (bytes); longer lines get a BAD_REQUEST reply. */
const MAX_LINE = 1 << 20;

const log = (line: string) => process.stderr.write(`agent[${process.pid}]: ${line}\n`);

/**
 * The gadget agent: reads JSON-line requests on stdin, answers on stdout, logs on stderr.
 * Requests run one at a time, in order. Teardown runs on stdin EOF, SIGTERM/SIGINT/SIGHUP, and
 * crashes, so no gadget, mount or program outlives the agent.
 */
export async function runAgent(): Promise<void> {
  const session = new AgentSession(log);
  let exiting = false;
  const exit = (code: number, why: string) => {
    if (exiting) return;
    exiting = true;
    log(`${why}; tearing down`);
    session.teardown();
    process.exit(code);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => exit(0, `got ${sig}`));
  process.on('uncaughtException', (err) => exit(70, `internal error: ${err.stack ?? err.message}`));
  process.stdout.on('error', () => exit(0, 'stdout closed'));

  const send = (reply: Reply) => process.stdout.write(`${JSON.stringify(reply)}\n`);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  log(`ready (protocol ${PROTOCOL_VERSION})`);
  for await (const line of rl) {
    if (!line.trim()) continue;
    const req = parseRequest(line);
    if ('error' in req) {
      send({ v: PROTOCOL_VERSION, id: req.id, ok: false, error: { code: req.error.code, message: req.error.message } });
      continue;
    }
    try {
      const handler = session.handlers[req.method] as (p: unknown) => unknown;
      const result = await handler(req.params ?? {});
      send({ v: PROTOCOL_VERSION, id: req.id, ok: true, result } as Reply);
    } catch (err) {
      const e = toAgentError(err);
      send({ v: PROTOCOL_VERSION, id: req.id, ok: false, error: { code: e.code, message: e.message } });
    }
    if (session.shuttingDown) {
      exiting = true;
      log('shutdown requested');
      process.exit(0);
    }
  }
  exit(0, 'stdin closed');
}

type Parsed = { id: number; method: MethodName; params: unknown } | { id: number | null; error: AgentError };

/** Validate one request line; anything malformed becomes an error reply, never a crash. */
export function parseRequest(line: string): Parsed {
  if (line.length > MAX_LINE) return { id: null, error: new AgentError('BAD_REQUEST', `request longer than ${MAX_LINE} bytes`) };
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return { id: null, error: new AgentError('BAD_REQUEST', 'request is not valid JSON') };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { id: null, error: new AgentError('BAD_REQUEST', 'request must be a JSON object') };
  const r = obj as Record<string, unknown>;
  const id = typeof r.id === 'number' && Number.isSafeInteger(r.id) ? r.id : null;
  if (id === null) return { id: null, error: new AgentError('BAD_REQUEST', 'request needs an integer id') };
  if (r.v !== PROTOCOL_VERSION) return { id, error: new AgentError('VERSION_MISMATCH', `agent speaks protocol ${PROTOCOL_VERSION}, request says ${String(r.v)}`) };
  if (typeof r.method !== 'string' || !(METHOD_NAMES as readonly string[]).includes(r.method)) {
    return { id, error: new AgentError('UNKNOWN_METHOD', `unknown method '${String(r.method)}'`) };
  }
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params))) {
    return { id, error: new AgentError('BAD_REQUEST', 'params must be an object') };
  }
  return { id, method: r.method as MethodName, params: r.params ?? {} };
}

if (require.main === module) {
  void runAgent();
}
