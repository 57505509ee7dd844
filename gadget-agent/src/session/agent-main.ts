import { AgentSession } from './agent-session';
import { LineSplitter, type SplitLine } from './line-splitter';
import { readStdin } from './stdin-reader';
import { toAgentError, AgentError } from './agent-error';
import { METHOD_NAMES, PROTOCOL_VERSION, type MethodName, type Reply } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';

/** Longest request line accepted (bytes); longer lines get a BAD_REQUEST reply. */
const MAX_LINE = 1 << 20;
/** Longest error message sent (characters): an error quoting a huge input stays a small reply. */
const MAX_MESSAGE = 4096;

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

  const send = (reply: Reply) => process.stdout.write(`${serialize(reply)}\n`);
  const splitter = new LineSplitter(MAX_LINE);
  const queue: SplitLine[] = [];
  let running: string | undefined;
  let eof = false;
  let eofWhy = 'stdin closed';

  // Requests run one at a time; the queue holds the lines that came in meanwhile.
  const drain = async () => {
    while (!running && queue.length && !exiting) {
      const next = queue.shift()!;
      if ('overlong' in next) {
        send({ v: PROTOCOL_VERSION, id: null, ok: false, error: { code: 'BAD_REQUEST', message: `request longer than ${MAX_LINE} bytes (${next.overlong} bytes dropped)` } });
        continue;
      }
      if (!next.line.trim()) continue;
      running = 'a request';
      send(await answer(session, next.line, (m) => (running = m)));
      running = undefined;
      if (session.shuttingDown) {
        exiting = true;
        log('shutdown requested');
        process.exit(0);
      }
    }
    if (eof && !running) exit(0, eofWhy);
  };
  // EOF is watched apart from the request loop: when the runner is gone, a long handler
  // (a stream wait, a program run) must not keep the gadget up until it ends.
  readStdin(
    (chunk) => {
      for (const l of splitter.push(chunk)) queue.push(l);
      void drain();
    },
    (why) => {
      eof = true;
      if (running) return exit(0, `${why} while ${running} ran`);
      for (const l of splitter.end()) queue.push(l);
      eofWhy = why;
      void drain();
    },
  );
  log(`ready (protocol ${PROTOCOL_VERSION})`);
}

/**
 * One request line to its reply. Never throws: whatever the line holds (any depth, size or
 * type), the worst outcome is an error reply.
 */
export async function answer(session: AgentSession, line: string, started: (method: string) => void = () => undefined): Promise<Reply> {
  let id: number | null = null;
  try {
    const req = parseRequest(line);
    id = req.id;
    if ('error' in req) return { v: PROTOCOL_VERSION, id: req.id, ok: false, error: { code: req.error.code, message: req.error.message } };
    started(req.method);
    const handler = session.handlers[req.method] as (p: unknown) => unknown;
    const result = await handler(req.params);
    return { v: PROTOCOL_VERSION, id: req.id, ok: true, result } as Reply;
  } catch (err) {
    const e = safeError(err);
    return { v: PROTOCOL_VERSION, id, ok: false, error: { code: e.code, message: e.message } };
  }
}

/** A reply as its line; one that cannot be serialized becomes an INTERNAL error reply to the same id. */
export function serialize(reply: Reply): string {
  try {
    return JSON.stringify(reply);
  } catch (err) {
    const e = safeError(err);
    return JSON.stringify({ v: PROTOCOL_VERSION, id: reply.id, ok: false, error: { code: 'INTERNAL', message: `reply could not be serialized: ${e.message}` } });
  }
}

/** toAgentError, hardened: a thrown value whose reading itself throws still yields an error. */
function safeError(err: unknown): { code: string; message: string } {
  try {
    const e = toAgentError(err);
    return { code: String(e.code), message: String(e.message).slice(0, MAX_MESSAGE) };
  } catch {
    return { code: 'INTERNAL', message: 'the request failed and its error could not be read' };
  }
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
  if (r.v !== PROTOCOL_VERSION) return { id, error: new AgentError('VERSION_MISMATCH', `agent speaks protocol ${PROTOCOL_VERSION}, request says ${describe(r.v)}`) };
  if (typeof r.method !== 'string' || !(METHOD_NAMES as readonly string[]).includes(r.method)) {
    return { id, error: new AgentError('UNKNOWN_METHOD', `unknown method ${describe(r.method)}`) };
  }
  const method = r.method as MethodName;
  const params = r.params === undefined ? {} : r.params;
  // Every field of every method is checked here, once, before a handler sees it.
  const problems = problemsOf(REQUEST_SCHEMAS[method], params, '');
  if (problems) return { id, error: new AgentError('BAD_REQUEST', `${method}: ${problems}`) };
  return { id, method, params };
}

/** A short, safe rendering of a request value for an error message (never walks it). */
function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 64 ? `${v.slice(0, 64)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

if (require.main === module) {
  void runAgent();
}
