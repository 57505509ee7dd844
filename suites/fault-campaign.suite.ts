import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as readline from 'node:readline';
import { spawn } from 'node:child_process';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { FaultTarget } from '@ffs-lab/host-runner/faults/fault-target';
import type { FaultGadget } from '@ffs-lab/host-runner/faults/fault-gadget';
import type { RunnerChildJob } from '@ffs-lab/host-runner/faults/runner-child';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { seededRandom } from '@ffs-lab/contract/seeded-random';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
const MiB = 1024 * 1024;
/** Seeded points: every kind of fault at least once in the quick profile; 52 (13 per kind) nightly. */
const POINTS = NIGHTLY ? 52 : 4;
/**
 * The campaign's seed: `FFS_LAB_CAMPAIGN_SEED` replays a run (every test's log names its seed).
 * The default profile (`npm test`, a CI gate) always strikes the same 4 points, so a verdict
 * never depends on the draw; the nightly profile draws a new seed each run, to explore.
 */
const SEED = Number(process.env.FFS_LAB_CAMPAIGN_SEED) || (NIGHTLY ? crypto.randomInt(1, 2 ** 31) : 729_598_250);
/** Faults strike at a seeded point in the first this-many bytes of a stream (0 = right after it starts). */
const STRIKE_WINDOW = 8 * MiB;
/** An end, or the agent, must notice a fault within this (ms): TCG is slow, but a hang is not slow. */
const NOTICE_MS = 20_000;
const KINDS = ['agent SIGKILL', 'sshd session SIGKILL', 'runner SIGKILL', 'UDC unbind'] as const;
type Kind = (typeof KINDS)[number];
/** The compiled runner child (host-runner's faults/runner-child.js). */
const RUNNER_CHILD = require.resolve('@ffs-lab/host-runner/faults/runner-child');

/** One point of the campaign, all drawn from (SEED, index). */
interface Point {
  index: number;
  kind: Kind;
  direction: 'source' | 'sink';
  mode: IoModeName;
  strikeAt: number;
  streamSeed: number;
}

function pointOf(index: number, modes: readonly IoModeName[]): Point {
  const r = seededRandom(SEED * 1009 + index);
  return {
    index,
    kind: KINDS[index % KINDS.length]!,
    direction: r() < 0.5 ? 'source' : 'sink',
    mode: modes[Math.floor(r() * modes.length)]!,
    // One point in eight strikes before the first byte has moved.
    strikeAt: r() < 0.125 ? 0 : Math.floor(r() * STRIKE_WINDOW),
    streamSeed: 1 + Math.floor(r() * (2 ** 31 - 2)),
  };
}

/**
 * The fault campaign: kills (of the agent, of its sshd session, of the runner) and UDC unbinds at
 * seeded random points of a stream, in every stream mode and both directions. After each point,
 * checked rather than assumed: the target holds no gadget, no FunctionFS mount and no process
 * mapping a FunctionFS file, and a fresh gadget passes a stream each way. The quick profile runs
 * one point per kind, the nightly profile 52. A failed point names its seed for a replay
 * (`FFS_LAB_CAMPAIGN_SEED=S ffs-lab lab --suite fault-campaign --grep 'point N:'`).
 */
describe(`fault campaign: ${POINTS} seeded kills and unbinds at random points of a stream (seed ${SEED})`, function () {
  blockInfo(this, { tags: ['fault', 'campaign'] });
  this.timeout(180_000);
  let target: FaultTarget;
  let modes: IoModeName[] = [];

  before(async function () {
    target = await FaultTarget.open(8);
    modes = [...(target.mmap ? (['mmap'] as const) : []), 'aio', 'copy'];
  });

  afterEach(async function () {
    await target?.endTest(this.currentTest?.state === 'failed');
  });

  after(async function () {
    await target?.close();
  });

  for (let i = 0; i < POINTS; i++) {
    // By index: POINTS depends on the profile, but for a given profile point i is always the same test.
    testCase(`point-${i}`, `point ${i}: ${KINDS[i % KINDS.length]} at a seeded point of a stream: both ends end, nothing is left, a fresh gadget passes`, async function () {
      const p = pointOf(i, modes);
      attachLog(this, `replay: FFS_LAB_CAMPAIGN_SEED=${SEED}, point ${i}: ${p.kind}, ${p.mode} ${p.direction} stream, strike at ${p.strikeAt} bytes`);
      const productId = 0x0140 + (i % 16);
      const happened =
        p.kind === 'runner SIGKILL' ? await runnerKill(this, p, productId) : p.kind === 'UDC unbind' ? await udcUnbind(p, productId) : await agentSideKill(this, p, productId);
      await target.nothingLeft();
      await target.freshGadgetPasses(await target.start(), 0x0150 + (i % 16), p.streamSeed);
      attachLog(this, `what happened: ${happened}; then nothing was left and a fresh gadget passed a stream each way`);
    });
  }

  /** Kill the agent, or its sshd session, from the watcher: the host end fails, the agent is gone, the next agent removes what is stale. */
  async function agentSideKill(ctx: Mocha.Context, p: Point, productId: number): Promise<string> {
    const session = p.kind === 'sshd session SIGKILL';
    if (session && !labContext().targetDescription.startsWith('ssh://')) skipWithReason(ctx, `the target is not reached over SSH (${labContext().targetDescription})`);
    const a = await target.start();
    const pid = a.agent.hello!.pid;
    const g = await target.gadget(a, 'campaign', productId);
    const s = await target.stream(g, p.direction, 1024 * MiB, p.streamSeed, p.mode);
    const at = p.strikeAt ? await s.waitProgress(p.strikeAt, 30_000) : 0;
    const killed = await target.watcher.agent.call('fault.signal', { pid, signal: 'SIGKILL', ...(session ? { of: 'ssh-session' as const } : {}) });
    const host = await s.host(NOTICE_MS);
    assert.ok(host?.error, `the host end did not fail within ${NOTICE_MS} ms of the kill`);
    // After its session is killed the agent sees stdin EOF and tears down by itself: nobody else cleans up.
    assert.ok(await target.gone(pid, NOTICE_MS), `agent ${pid} still running ${NOTICE_MS} ms after the kill`);
    await g.closeHost();
    // What a SIGKILLed agent leaves (configfs, mount) is the next agent's to sweep; after a
    // session kill the agent must have cleaned up itself, so no sweep may hide what it left.
    if (!session) await target.start();
    return `${session ? `sshd session ${killed.pid} of agent ${pid}` : `agent ${pid}`} SIGKILLed after ${at} bytes of a ${p.mode} ${p.direction} stream; host end ${host!.error!.code}`;
  }

  /** Unbind the UDC under the stream: both ends fail with an errno; after the rebind the function passes; then it is removed. */
  async function udcUnbind(p: Point, productId: number): Promise<string> {
    const a = await target.start();
    const g: FaultGadget = await target.gadget(a, 'campaign', productId);
    const s = await target.stream(g, p.direction, 1024 * MiB, p.streamSeed, p.mode);
    const at = p.strikeAt ? await s.waitProgress(p.strikeAt, 30_000) : 0;
    await a.agent.call('gadget.unbind', {});
    const host = await s.host(NOTICE_MS);
    assert.ok(host?.error, `the host end did not fail within ${NOTICE_MS} ms of the unbind`);
    const agent = await s.agentReport(false, NOTICE_MS);
    assert.equal(agent.state, 'failed', 'the agent end should fail when its UDC goes away');
    await a.agent.call('gadget.bind', labContext().udc ? { udc: labContext().udc } : {});
    await g.attach(true);
    await target.healthy(g, p.streamSeed);
    await g.remove();
    return `UDC unbound after ${at} bytes of a ${p.mode} ${p.direction} stream: agent end ${agent.error?.code}, host end ${host!.error!.code}; rebound, a stream each way passed`;
  }

  /** SIGKILL a runner process of its own mid-stream: its SSH connection drops, and the agent must tear down alone. */
  async function runnerKill(ctx: Mocha.Context, p: Point, productId: number): Promise<string> {
    const config = labContext().target;
    if (!config) skipWithReason(ctx, 'the runner was not given its target configuration (cannot start a second runner)');
    const job: RunnerChildJob = {
      target: config,
      gadget: {
        name: 'campaign-runner',
        vendorId: 0x1d6b,
        productId,
        serial: crypto.randomBytes(6).toString('hex'),
        ...(target.mmap ? { mmapMb: 8 } : {}),
        ...(labContext().udc ? { udc: labContext().udc } : {}),
        enumerateTimeoutMs: labContext().usb.enumerateTimeoutMs,
      },
      stream: { kind: p.direction, mode: p.mode, depth: 8, transferSize: 64 * 1024, totalBytes: 1024 * MiB, seed: p.streamSeed, timeoutMs: 120_000 },
    };
    const child = spawn(process.execPath, [RUNNER_CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const errors: string[] = [];
    readline.createInterface({ input: child.stderr }).on('line', (l) => errors.push(l));
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
    let agentPid = 0;
    let at = -1;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the runner child did not reach ${p.strikeAt} bytes within 60 s`)), 60_000);
        readline.createInterface({ input: child.stdout }).on('line', (l) => {
          const [word, n] = l.split(' ');
          if (word === 'agent') agentPid = Number(n);
          if (word === 'progress' && Number(n) >= p.strikeAt && at < 0) {
            at = Number(n);
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((how) => reject(new Error(`the runner child ended (${how}) before the strike: ${errors.slice(-3).join(' / ') || 'no output'}`)));
      });
    } finally {
      child.kill('SIGKILL');
    }
    const how = await exited;
    assert.ok(agentPid > 0, 'the runner child never reported its agent');
    assert.ok(await target.gone(agentPid, NOTICE_MS), `agent ${agentPid} still running ${NOTICE_MS} ms after its runner was killed`);
    return `runner child ${child.pid} killed (${how}) after ${at} bytes of a ${p.mode} ${p.direction} stream; its agent ${agentPid} tore down and exited by itself`;
  }
});
