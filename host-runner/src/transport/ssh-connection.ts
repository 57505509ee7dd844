import type { Duplex } from 'node:stream';
import { Client } from 'ssh2';
import { LabError, infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { hostKeyVerifier } from './ssh-host-key-policy';
import { SshNotUpError, sshConnectError, sshLoginConfig } from './ssh-login';
import { resolveSshOptions, type ResolvedSshOptions, type SshHopOptions } from './ssh-target-options';

/** One logged-in SSH connection, and the last error its client reported (for the reason it closes). */
export interface SshConnection {
  client: Client;
  lastError(): (Error & { level?: string; code?: string }) | undefined;
}

/** `ssh://user@host:port`, brackets around IPv6 addresses. */
export function sshUrl(o: { username: string; host: string; port: number }): string {
  return `ssh://${o.username}@${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
}

/**
 * Connect, verify the host key, log in. Over `sock` (a channel forwarded by a jump host) when
 * given, else TCP. Rejects with the LabError sshConnectError() describes: usage (exit 2) for
 * bad options, SshNotUpError for "not up yet", LabError exit 3 for everything else.
 */
export async function openSshConnection(o: ResolvedSshOptions, sock?: Duplex): Promise<SshConnection> {
  const description = sshUrl(o);
  const { config, methods } = sshLoginConfig(o, description);
  const verifier = hostKeyVerifier(o, o.log ?? ((line) => process.stderr.write(`ffs-lab: ${line}\n`)));
  config.hostVerifier = (key: Buffer) => verifier.verify(key);
  // Ask the server for a key type we can check, as OpenSSH does; otherwise it may offer one we have no line for.
  if (verifier.preferred.length > 0) config.algorithms = { serverHostKey: { prepend: verifier.preferred, append: [], remove: [] } };
  if (sock) config.sock = sock;

  const client = new Client();
  let lastError: (Error & { level?: string; code?: string }) | undefined;
  await new Promise<void>((resolve, reject) => {
    let ready = false;
    client.on('error', (err: Error & { level?: string; code?: string }) => (lastError = err));
    client.once('ready', () => {
      ready = true;
      resolve();
    });
    client.once('close', () => {
      if (!ready) reject(sshConnectError(o, lastError, verifier.verdict, methods));
    });
    try {
      client.connect(config);
    } catch (err) {
      reject(usageError(`bad SSH configuration for ${description}: ${(err as Error).message}`));
    }
  });
  return { client, lastError: () => lastError };
}

/** The options of jump host `hop`, with the target's timeouts, keepalives, environment and log. */
export function hopOptions(hop: SshHopOptions, target: ResolvedSshOptions): ResolvedSshOptions {
  return resolveSshOptions({
    ...hop,
    connectTimeoutMs: target.connectTimeoutMs,
    keepaliveIntervalMs: target.keepaliveIntervalMs,
    keepaliveCountMax: target.keepaliveCountMax,
    killGraceMs: target.killGraceMs,
    ...(target.environment !== undefined ? { environment: target.environment } : {}),
    ...(target.log !== undefined ? { log: target.log } : {}),
  });
}

/**
 * Log into each jump host in turn, then the target through the last one (OpenSSH's ProxyJump:
 * every hop's host key is verified against its own known_hosts). Returns the connections in
 * order, the target's last; on failure the ones already open are ended and the error names the hop.
 */
export async function openSshChain(target: ResolvedSshOptions): Promise<SshConnection[]> {
  const hops = [...(target.jumps ?? []).map((h) => hopOptions(h, target)), target];
  const open: SshConnection[] = [];
  try {
    let sock: Duplex | undefined;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i]!;
      const isJump = i < hops.length - 1;
      try {
        open.push(await openSshConnection(hop, sock));
      } catch (err) {
        throw isJump ? withContext(err, ` [jump host ${i + 1} of ${hops.length - 1}]`) : err;
      }
      if (isJump) sock = await forward(open[i]!.client, sshUrl(hop), hops[i + 1]!);
    }
    return open;
  } catch (err) {
    for (const c of open.reverse()) c.client.end();
    throw err;
  }
}

/**
 * A direct-tcpip channel from a jump host to the next hop's sshd, within the next hop's connect
 * timeout (the jump host's own TCP connect may take minutes to give up on a host that is down).
 */
function forward(client: Client, via: string, next: ResolvedSshOptions): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new SshNotUpError(`cannot reach ${next.host}:${next.port} through jump host ${via}: no connection within ${next.connectTimeoutMs / 1000} s`));
    }, next.connectTimeoutMs);
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) => {
      clearTimeout(timer);
      if (done) {
        stream?.destroy();
        return;
      }
      done = true;
      if (!err) return resolve(stream);
      const where = `${next.host}:${next.port}`;
      const reason = (err as Error & { reason?: number }).reason;
      // RFC 4254 5.1: 2 = SSH_OPEN_CONNECT_FAILED, the jump host could not connect (the next hop is not up yet).
      if (reason === 2) return reject(new SshNotUpError(`cannot reach ${where} through jump host ${via}: ${err.message}`));
      reject(infraError(`jump host ${via} refused to forward to ${where}: ${err.message}`, 'does it allow TCP forwarding (sshd_config AllowTcpForwarding, PermitOpen)?'));
    });
  });
}

/** The same kind of error with `suffix` on its message. */
function withContext(err: unknown, suffix: string): unknown {
  if (err instanceof SshNotUpError) return new SshNotUpError(err.message + suffix, err.hint);
  if (err instanceof LabError) return new LabError(err.message + suffix, err.exitCode, err.hint);
  return err;
}
