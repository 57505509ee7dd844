import * as readline from 'node:readline';
import { infraError } from '@ffs-lab/contract/exit-codes';
import type { RemoteProcess, Transport } from '../transport/transport';
import { PROTOCOL_VERSION, type HelloResult, type MethodName, type Methods, type Reply } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';

/** An error reply from the agent, with its code (`EINVAL`, `BAD_STATE`, ...). */
export class AgentCallError extends Error {
  constructor(readonly method: string, readonly code: string, message: string) {
    super(`${method}: ${code}: ${message}`);
    this.name = 'AgentCallError';
  }
}

/** Lines of agent stderr kept for reports. */
const LOG_LINES = 500;

/**
 * The runner's side of the agent protocol: starts the agent through a transport, sends typed
 * requests, matches replies by id. Lifecycle: start() -> call()* -> close().
 */
export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, { method: string; resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly logLines: string[] = [];
  private ended: string | undefined;

  private constructor(private readonly proc: RemoteProcess, readonly hello: HelloResult | undefined) {}

  /**
   * Start the agent with `argv` over `transport` and check it speaks our protocol version.
   * Fails with an infrastructure error (exit 3) when the agent cannot be started.
   */
  static async start(transport: Transport, argv: readonly string[], timeoutMs = 30_000): Promise<AgentClient> {
    const proc = await transport.spawn(argv);
    const client = new AgentClient(proc, undefined);
    client.listen();
    let hello: HelloResult;
    try {
      hello = await client.call('hello', {}, timeoutMs);
    } catch (err) {
      const tail = client.log.slice(-3).join(' | ');
      proc.kill('KILL');
      throw infraError(`agent did not start on ${transport.description} (${argv.join(' ')}): ${(err as Error).message}${tail ? `; agent said: ${tail}` : ''}`);
    }
    if (hello.protocol !== PROTOCOL_VERSION) {
      proc.kill('TERM');
      throw infraError(`agent on ${transport.description} speaks protocol ${hello.protocol}, this runner ${PROTOCOL_VERSION}: deploy a matching agent`);
    }
    (client as { hello: HelloResult | undefined }).hello = hello;
    return client;
  }

  /** Why the agent is gone (`exited with SIGKILL`, `connection lost`), or undefined while it runs. */
  get gone(): string | undefined {
    return this.ended;
  }

  /** The agent's stderr so far (last lines). */
  get log(): string[] {
    return [...this.logLines];
  }

  /**
   * Send one request and wait for its reply; error replies reject with {@link AgentCallError}, as
   * do params the method's schema refuses (code BAD_REQUEST, nothing sent).
   */
  call<M extends MethodName>(method: M, params: Methods[M]['params'], timeoutMs = 30_000): Promise<Methods[M]['result']> {
    if (this.ended) return Promise.reject(new Error(`agent is gone (${this.ended})`));
    // The agent's own schema: a request it would refuse is refused here, before it is sent.
    let problems: string | undefined;
    try {
      problems = problemsOf(REQUEST_SCHEMAS[method], params ?? {});
    } catch (err) {
      problems = `params could not be checked: ${(err as Error).message}`;
    }
    if (problems) return Promise.reject(new AgentCallError(method, 'BAD_REQUEST', `${method}: ${problems} (not sent)`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (r) => {
          clearTimeout(timer);
          if (r.ok) resolve(r.result as Methods[M]['result']);
          else reject(new AgentCallError(method, r.error.code, r.error.message));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, method, params })}\n`);
    });
  }

  /** Ask the agent to tear down and exit; kill it if it does not within `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (!this.ended) {
      await this.call('shutdown', {}, timeoutMs).catch(() => undefined);
    }
    const timer = setTimeout(() => this.proc.kill('KILL'), timeoutMs);
    await this.proc.exited;
    clearTimeout(timer);
  }

  private listen(): void {
    readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        this.keepLog(`(stdout) ${line}`);
        return;
      }
      if (reply.id === null) {
        this.keepLog(`(unmatched error reply) ${line}`);
        return;
      }
      const p = this.pending.get(reply.id);
      if (p) {
        this.pending.delete(reply.id);
        p.resolve(reply);
      }
    });
    readline.createInterface({ input: this.proc.stderr, crlfDelay: Infinity }).on('line', (l) => this.keepLog(l));
    void this.proc.exited.then((e) => {
      this.ended = e.signal === 'CONNECTION_LOST' ? 'connection lost' : `exited with ${e.code ?? e.signal}`;
      for (const [, p] of this.pending) p.reject(new Error(`${p.method}: agent ${this.ended}`));
      this.pending.clear();
    });
  }

  private keepLog(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES) this.logLines.shift();
  }
}
