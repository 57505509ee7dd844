import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { faultTarget, parseStat, processState, signalFaultTarget, stopLoop } from '../src/faults/fault-process';
import { FaultHandlers } from '../src/faults/fault-handlers';

/** A harmless child whose command line carries the agent mark, standing in for another agent. */
function fakeAgent() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'ffs-lab-agent'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  return { child, exited };
}

async function waitCmdline(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('ffs-lab-agent')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('parseStat reads state and parent past a command name with spaces and parentheses', () => {
  assert.deepEqual(parseStat('123 (node (x) y) S 77 123 123 0 -1'), { state: 'S', ppid: 77 });
  assert.deepEqual(parseStat('1 (init) T 0 1 1'), { state: 'T', ppid: 0 });
  assert.equal(parseStat('garbage'), undefined);
});

test('fault targets: never this agent, never a process that is not an agent, never a non-sshd parent', () => {
  assert.throws(() => faultTarget(process.pid, 'agent'), /does not signal itself/);
  assert.throws(() => faultTarget(1, 'agent'), /not an ffs-lab agent/);
  assert.throws(() => faultTarget(2 ** 22, 'agent'), (e: { code?: string }) => e.code === 'ESRCH');
});

test('SIGSTOP/SIGCONT loop leaves the target running; SIGKILL kills it; ssh-session is refused without sshd', async () => {
  const { child, exited } = fakeAgent();
  try {
    await waitCmdline(child.pid!);
    assert.throws(() => faultTarget(child.pid!, 'ssh-session'), /does not run under an sshd session/);
    const r = await stopLoop(child.pid!, 5, 5, 5);
    assert.equal(r.rounds, 5);
    assert.notEqual(processState(child.pid!).state, 'T');
    assert.equal(processState(child.pid!).alive, true);
    assert.match(signalFaultTarget(child.pid!, 'SIGKILL', 'agent').cmdline, /ffs-lab-agent/);
    assert.equal(await exited, 'SIGKILL');
  } finally {
    child.kill('SIGKILL');
  }
});

test('fault.process reports a process\'s state, and its threads when asked', () => {
  const h = new FaultHandlers({ fn: () => undefined, removeFunction: async () => undefined }).handlers;
  assert.deepEqual(h['fault.process']({ pid: process.pid }), { alive: true, state: processState(process.pid).state });
  const self = h['fault.process']({ pid: process.pid, threads: true }) as { alive: boolean; state?: string; threads?: string[] };
  assert.equal(self.alive, true);
  assert.equal(self.state, processState(process.pid).state);
  assert.ok(self.threads?.some((t) => t.startsWith(`${process.pid} `)), `the main thread is listed: ${self.threads?.join('; ')}`);
});
