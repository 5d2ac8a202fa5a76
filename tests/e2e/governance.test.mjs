// End-to-end: the Council governs a market parameter with @polkadot/api, exactly as its
// members would from polkadot.js Apps (SPEC §2: AdminOrigin = Root or a 2/3 Council motion).
//   1. one member alone cannot change `protocol_fee`, nor can a motion of one member;
//   2. Alice proposes `market.configure` with a new `protocol_fee`, Alice and Bob vote aye,
//      Bob closes: the motion executes and the next job settled pays the new fee;
//   3. a second motion puts the fee back (the files after this one expect the preset's fee).
// Started by tests/e2e/dev-chain.sh (the dev preset's Council: Alice, Bob, Charlie).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mnemonicGenerate, blake2AsU8a } from '@polkadot/util-crypto';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { connect, send, sendOk, waitForBlock, KILN } from './chain.mjs';
import { propose, pass as passBy } from './council.mjs';

/// A full motion: Alice proposes, Alice and Bob vote aye, Bob closes (anyone may; Charlie's
/// key is busy with the worker onboarding that dev-chain.sh runs meanwhile).
const pass = (call) => passBy(api, call, alice, bob);

let api;
let keyring;
let alice;
let bob;
let charlie;

const eventsOf = (result, section, method) =>
  result.events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);

/// `market.configure` with the current configuration and `protocolFee` (parts per billion).
async function configureFee(protocolFee) {
  const config = (await api.query.market.configuration()).toJSON();
  return api.tx.market.configure({ ...config, protocolFee });
}

function profile() {
  return {
    gpus: [{ model: 'NVIDIA L4', vramMib: 23034, computeCapability: 89, count: 1 }],
    cpuCores: 8,
    ramMib: 32768,
    region: 'DE',
    backends: { cuda: true, cpu: true },
  };
}

function wasmJob(maxPrice) {
  return {
    workload: {
      Wasm: {
        module: { hash: u8aToHex(new Uint8Array(32).fill(3)), len: 8, uri: 'https://example.org/gov.wasm' },
        input: { hash: u8aToHex(new Uint8Array(32).fill(4)), len: 8, uri: 'https://example.org/gov-input' },
        fuel: 1000000,
      },
    },
    requirements: {
      minVramMib: 16000, minComputeCapability: 80, gpuCount: 1, backend: 'Cuda', region: null, minReputation: 0,
    },
    maxPrice,
    biddingBlocks: 3,
    executionBlocks: 8,
  };
}

/// One job from creation to settlement; returns the JobCompleted event.
async function settleOneJob(client, provider, price) {
  const created = await sendOk(api, api.tx.market.createJob(wasmJob(2n * price)), client);
  const [event] = eventsOf(created, 'market', 'JobCreated');
  const jobId = event.data.jobId.toNumber();
  await sendOk(api, api.tx.market.placeBid(jobId, price), provider);
  await waitForBlock(api, event.data.biddingEnds.toNumber());
  const output = { hash: blake2AsU8a(new TextEncoder().encode('governed'), 256), len: 8, uri: 'https://gov.example.org/out' };
  const salt = new Uint8Array(32).fill(9);
  await sendOk(api, api.tx.market.commitResult(jobId, blake2AsU8a(u8aConcat(output.hash, salt), 256)), provider);
  const revealed = await sendOk(api, api.tx.market.revealResult(jobId, output, salt), provider);
  const settlesAt = eventsOf(revealed, 'market', 'ResultRevealed')[0].data.settlesAt.unwrap().toNumber();
  await waitForBlock(api, settlesAt);
  const at = await api.at(await api.rpc.chain.getBlockHash(settlesAt));
  const completed = (await at.query.system.events())
    .map(({ event: e }) => e)
    .find((e) => e.section === 'market' && e.method === 'JobCompleted' && e.data.jobId.toNumber() === jobId);
  assert.ok(completed, `job ${jobId} completed at #${settlesAt}`);
  return completed;
}

let originalFee;

before(async () => {
  ({ api, keyring } = await connect());
  [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));
  originalFee = (await api.query.market.configuration()).protocolFee.toNumber();
});

after(async () => {
  await api?.disconnect();
});

test('the Council is Alice, Bob and Charlie; one member alone changes nothing', async () => {
  const members = (await api.query.council.members()).map((m) => m.toString()).sort();
  assert.deepEqual(members, [alice.address, bob.address, charlie.address].sort());
  const fee = originalFee + 10_000_000;
  // Signed by a member: not an admin origin.
  const direct = await send(api, await configureFee(fee), alice);
  assert.equal(direct.error, 'BadOrigin');
  // A motion of one member executes at once as one third of the Council: refused.
  const single = await propose(api, await configureFee(fee), 1, alice);
  const [executed] = eventsOf(single.result, 'council', 'Executed');
  assert.ok(executed, single.result.names.join(', '));
  assert.ok(executed.data.result.isErr, 'a 1/3 motion must not execute');
  assert.equal(executed.data.result.asErr.isBadOrigin, true);
  assert.equal((await api.query.market.configuration()).protocolFee.toNumber(), originalFee);
  // An outsider cannot propose.
  const dave = keyring.addFromUri('//Dave');
  const outsider = await send(api, api.tx.council.propose(2, await configureFee(fee), 100), dave);
  assert.equal(outsider.error, 'council.NotMember');
});

test('a 2/3 motion sets protocol_fee and the next job settled pays the new fee', async () => {
  const newFee = originalFee + 30_000_000; // +3 %
  const closed = await pass(await configureFee(newFee));
  const names = closed.names;
  assert.ok(names.includes('council.Closed') && names.includes('council.Approved'), names.join(', '));
  assert.ok(names.includes('council.Executed') && names.includes('market.ConfigurationSet'), names.join(', '));
  assert.equal((await api.query.market.configuration()).protocolFee.toNumber(), newFee);

  // A provider and a client of their own.
  const [client, provider] = [keyring.addFromMnemonic(mnemonicGenerate()), keyring.addFromMnemonic(mnemonicGenerate())];
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all([client, provider].map((who, i) =>
    sendOk(api, api.tx.balances.transferKeepAlive(who.address, 1000n * KILN), alice, { nonce: nonce + i })));
  await sendOk(api, api.tx.collateral.bond(150n * KILN), provider);
  await sendOk(api, api.tx.providers.register(profile(), 'https://gov.example.org'), provider);

  const price = 2n * KILN;
  const completed = await settleOneJob(client, provider, price);
  const fee = price * BigInt(newFee) / 1_000_000_000n;
  assert.equal(completed.data.fee.toBigInt(), fee);
  assert.equal(completed.data.paid.toBigInt(), price - fee);

  // Put the preset's fee back for the files that follow.
  await pass(await configureFee(originalFee));
  assert.equal((await api.query.market.configuration()).protocolFee.toNumber(), originalFee);
});
