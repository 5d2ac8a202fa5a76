// End-to-end: hardware challenges (SPEC §3 ProofOfCompute, §4 PoC-GEMM) on a dev chain.
// Two providers register; governance (sudo) turns challenges on; each provider runs the real
// Rust client, `kiln-worker challenges` (subxt + kiln-primitives), which computes C = A·B,
// commits its Merkle root and reveals the drawn entries. The honest one passes; the one run
// with `--answer cheat-half` (half of C made up) fails and is slashed. Everything is checked
// here from @polkadot/api: the events of every step and the collateral and reputation after.
// Started by tests/e2e/dev-chain.sh (last: it turns challenges on for every provider).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { connect, sendOk, KILN } from './chain.mjs';

const WORKER = process.env.KILN_WORKER ?? 'kiln-worker';

let api;
let keyring;
let alice;
let unsubscribe;
const seen = []; // { block, section, method, data } of every event since `before`
let result;

/// A provider's machine; `cuda: false` makes it CPU-only, challenged with the CPU shape.
function profile({ cuda = true } = {}) {
  return {
    gpus: [{ model: 'NVIDIA L4', vramMib: 23034, computeCapability: 89, count: 1 }],
    cpuCores: 8,
    ramMib: 32768,
    region: 'NL',
    backends: { cuda, cpu: true },
  };
}

/// Runs `kiln-worker challenges` until one challenge of `suri` has ended.
function worker(suri, answer) {
  return new Promise((resolve, reject) => {
    const args = ['challenges', '--url', process.env.KILN_WS, '--suri', suri, '--count', '1',
      '--answer', answer, '--backend', 'cpu'];
    const child = spawn(WORKER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => { child.kill(); reject(new Error(`worker timed out:\n${output}`)); }, 150_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`kiln-worker challenges (${answer}) exited with ${code}:\n${output}`));
    });
  });
}

async function configure(change) {
  const config = (await api.query.proofOfCompute.configuration()).toJSON();
  Object.assign(config, change);
  await sendOk(api, api.tx.sudo.sudo(api.tx.proofOfCompute.configure(config)), alice);
  return config;
}

const find = (section, method, predicate = () => true) =>
  seen.filter((e) => e.section === section && e.method === method && predicate(e.data));

before(async () => {
  ({ api, keyring } = await connect());
  alice = keyring.addFromUri('//Alice');
  const mnemonics = { honest: mnemonicGenerate(), cheat: mnemonicGenerate() };
  const acc = Object.fromEntries(Object.entries(mnemonics).map(([n, m]) => [n, keyring.addFromMnemonic(m)]));
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all(Object.values(acc).map((a, i) =>
    sendOk(api, api.tx.balances.transferKeepAlive(a.address, 1000n * KILN), alice, { nonce: nonce + i })));
  await Promise.all(Object.entries(acc).map(async ([n, a]) => {
    await sendOk(api, api.tx.collateral.bond(150n * KILN), a);
    // The cheat declares no CUDA: it gets (and fakes) the CPU-sized challenge.
    const machine = profile({ cuda: n !== 'cheat' });
    await sendOk(api, api.tx.providers.register(machine, `https://${n}.example.org`), a);
  }));
  unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const at = await api.at(header.hash);
    for (const { event } of await at.query.system.events()) {
      seen.push({ block: header.number.toNumber(), section: event.section, method: event.method, data: event.data });
    }
  });

  // The clients follow the chain before any challenge exists.
  const runs = [worker(mnemonics.honest, 'honest'), worker(mnemonics.cheat, 'cheat-half')];
  for (const run of runs) run.catch(() => {}); // reported below
  const dev = await configure({ challengeRate: 1_000_000_000, providersPerBlock: 64 });
  // Once both have a challenge, no more are issued (everyone registered was challenged too).
  const challenged = async (who) => {
    for (let i = 0; i < 60; i += 1) {
      if ((await api.query.proofOfCompute.openChallenge(who.address)).isSome) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${who.address} was never challenged`);
  };
  await Promise.all([challenged(acc.honest), challenged(acc.cheat)]);
  await configure({ challengeRate: 0 });
  const outputs = await Promise.all(runs);
  result = { acc, dev, outputs };
});

after(async () => {
  if (unsubscribe) unsubscribe();
  await api?.disconnect();
});

const of = (who) => (data) => data.provider?.toString() === who.address;

test('an honest provider answers its challenge with the Rust client and passes', async () => {
  const { acc, dev, outputs } = result;
  const [issued] = find('proofOfCompute', 'ChallengeIssued', of(acc.honest));
  assert.ok(issued, 'ChallengeIssued');
  assert.equal(issued.data.m.toNumber(), dev.m);
  assert.equal(issued.data.k.toNumber(), dev.k);
  const id = issued.data.id.toNumber();
  const step = (method) => find('proofOfCompute', method, (d) => d.id.toNumber() === id)[0];
  const committed = step('ChallengeCommitted');
  const opened = step('ChallengeOpened');
  const passed = step('ChallengePassed');
  assert.ok(committed && opened && passed, `every step of challenge ${id}:\n${outputs[0]}`);
  assert.ok(committed.block < issued.data.commitBy.toNumber(), 'committed in time');
  assert.ok(opened.block > committed.block, 'opened after the commitment');
  assert.equal(opened.data.indices.length, dev.samples);
  assert.match(outputs[0], /Passed/);
  const provider = (await api.query.providers.providers(acc.honest.address)).unwrap();
  assert.equal(provider.reputation.challengesPassed.toNumber(), 1);
  assert.equal(provider.reputation.challengesFailed.toNumber(), 0);
  const ledger = (await api.query.collateral.ledgers(acc.honest.address)).unwrap();
  assert.equal(ledger.active.toBigInt(), 150n * KILN, 'not slashed');
});

test('a CPU-only provider that computed half of its CPU-sized C is caught and slashed', async () => {
  const { acc, dev, outputs } = result;
  const [issued] = find('proofOfCompute', 'ChallengeIssued', of(acc.cheat));
  assert.ok(issued, 'ChallengeIssued');
  // CPU-only: the CPU shape, not the GPU one.
  assert.deepEqual([issued.data.m, issued.data.n, issued.data.k].map((d) => d.toNumber()),
    [dev.cpuM, dev.cpuN, dev.cpuK]);
  assert.notEqual(dev.cpuM * dev.cpuN * dev.cpuK, dev.m * dev.n * dev.k);
  const id = issued.data.id.toNumber();
  const [failed] = find('proofOfCompute', 'ChallengeFailed', (d) => d.id.toNumber() === id);
  assert.ok(failed, `ChallengeFailed:\n${outputs[1]}`);
  assert.equal(failed.data.reason.toString(), 'WrongEntry');
  const slash = BigInt(dev.slashFailedChallenge);
  assert.equal(failed.data.slashed.toBigInt(), slash);
  const slashed = find('collateral', 'Slashed', (d) => d.who.toString() === acc.cheat.address);
  assert.equal(slashed.length, 1);
  assert.equal(slashed[0].data.amount.toBigInt(), slash);
  assert.equal(find('proofOfCompute', 'ChallengePassed', of(acc.cheat)).length, 0);
  const provider = (await api.query.providers.providers(acc.cheat.address)).unwrap();
  assert.equal(provider.reputation.challengesFailed.toNumber(), 1);
  const ledger = (await api.query.collateral.ledgers(acc.cheat.address)).unwrap();
  assert.equal(ledger.active.toBigInt(), 150n * KILN - slash);
  assert.match(outputs[1], /Failed/);
});
