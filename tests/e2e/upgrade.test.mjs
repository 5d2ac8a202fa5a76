// End-to-end: a runtime upgrade on a running dev chain, by Council motion, as docs/governance.md
// §5 describes it. The new runtime is the same one built with spec_version + 1
// (runtime/test-variants/next, path in KILN_NEXT_RUNTIME).
//   - work in flight first: a provider bonded and registered, a job awarded to it;
//   - code not authorized is refused; the Council authorizes the hash; anyone applies it;
//   - the chain then runs spec_version + 1, and the job, the bond and the registration are as
//     they were; blocks are still produced and finalized, and a transaction signed for the new
//     version goes through.
// Started by tests/e2e/dev-chain.sh after the other tests (it changes the runtime).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mnemonicGenerate, blake2AsHex } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, send, sendOk, waitForBlock, waitFor, bestNumber, finalizedNumber, KILN } from './chain.mjs';
import { pass } from './council.mjs';

let api;
let keyring;

before(async () => {
  ({ api, keyring } = await connect());
});

after(async () => {
  await api?.disconnect();
});

test('a Council motion upgrades the running chain and keeps its state', async () => {
  const path = process.env.KILN_NEXT_RUNTIME;
  assert.ok(path, 'KILN_NEXT_RUNTIME names the spec_version + 1 runtime');
  const code = readFileSync(path);
  const [alice, bob, dave] = ['//Alice', '//Bob', '//Dave'].map((uri) => keyring.addFromUri(uri));
  const before = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();

  // Work in flight: a provider, a client, a job awarded and not yet committed.
  const [client, provider] = [keyring.addFromMnemonic(mnemonicGenerate()), keyring.addFromMnemonic(mnemonicGenerate())];
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all([client, provider].map((who, i) =>
    sendOk(api, api.tx.balances.transferKeepAlive(who.address, 1000n * KILN), alice, { nonce: nonce + i })));
  await sendOk(api, api.tx.collateral.bond(150n * KILN), provider);
  await sendOk(api, api.tx.providers.register({
    gpus: [], cpuCores: 4, ramMib: 8192, region: 'NL', backends: { cuda: false, cpu: true },
  }, 'https://upgrade.example.org'), provider);
  const spec = {
    workload: { Wasm: {
      module: { hash: u8aToHex(new Uint8Array(32).fill(5)), len: 8, uri: 'https://example.org/up.wasm' },
      input: { hash: u8aToHex(new Uint8Array(32).fill(6)), len: 8, uri: 'https://example.org/up-input' },
      fuel: 1000000,
    } },
    requirements: { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 },
    maxPrice: 2n * KILN,
    biddingBlocks: 2,
    executionBlocks: 200, // still in flight after the upgrade
  };
  const created = await sendOk(api, api.tx.market.createJob(spec), client);
  const jobCreated = created.events.find(({ event }) => event.method === 'JobCreated').event;
  const jobId = jobCreated.data.jobId.toNumber();
  await sendOk(api, api.tx.market.placeBid(jobId, KILN), provider);
  await waitForBlock(api, jobCreated.data.biddingEnds.toNumber());
  const job = (await api.query.market.jobs(jobId)).unwrap();
  assert.ok(job.state.isAwarded, job.state.type);
  const ledger = (await api.query.collateral.ledgers(provider.address)).toJSON();
  const registration = (await api.query.providers.providers(provider.address)).toJSON();

  // Nothing authorized yet: applying code is refused.
  const early = await send(api, api.tx.system.applyAuthorizedUpgrade(u8aToHex(code)), dave);
  assert.equal(early.error, 'system.NothingAuthorized');

  // The Council authorizes the code's hash (32 bytes in the motion, not the runtime).
  const codeHash = blake2AsHex(code, 256);
  const closed = await pass(api, api.tx.governance.authorizeUpgrade(codeHash), alice, bob);
  assert.ok(closed.names.includes('system.UpgradeAuthorized'), closed.names.join(', '));

  // Anyone supplies the code; other code is refused.
  const wrong = await send(api, api.tx.system.applyAuthorizedUpgrade(u8aToHex(code.subarray(0, 1000))), dave);
  assert.equal(wrong.error, 'system.Unauthorized');
  // The events of the block that applies the code are not read from this subscription:
  // @polkadot/api swaps its registry when it sees the new runtime version, and can decode
  // that block's events with the wrong one (CI saw "Unable to decode storage system.events",
  // and no events). A client reads them afterwards, from a connection made after the upgrade.
  const applied = await send(api, api.tx.system.applyAuthorizedUpgrade(u8aToHex(code)), dave);
  assert.equal(applied.error, null);
  const upgradedAt = (await api.rpc.chain.getHeader(applied.blockHash)).number.toNumber();

  await waitFor('the new runtime version', async () =>
    (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber() === before + 1);
  console.log(`runtime upgraded at #${upgradedAt}: spec_version ${before} -> ${before + 1}`);
  await api.disconnect();
  ({ api } = await connect());
  const appliedEvents = await (await api.at(applied.blockHash)).query.system.events();
  const appliedNames = appliedEvents.map(({ event }) => `${event.section}.${event.method}`);
  assert.ok(appliedNames.includes('system.CodeUpdated'), appliedNames.join(', '));
  const failed = appliedEvents.filter(({ event }) => api.events.system.ExtrinsicFailed.is(event));
  assert.equal(failed.length, 0, 'no extrinsic failed in the upgrade block');

  // The chain keeps producing and finalizing blocks.
  await waitForBlock(api, upgradedAt + 3);
  await waitFor(`finality past #${upgradedAt}`, async () => (await finalizedNumber(api)) > upgradedAt);

  // State in flight is intact.
  const jobAfter = (await api.query.market.jobs(jobId)).unwrap();
  assert.deepEqual(jobAfter.toJSON(), job.toJSON());
  assert.deepEqual((await api.query.collateral.ledgers(provider.address)).toJSON(), ledger);
  assert.deepEqual((await api.query.providers.providers(provider.address)).toJSON(), registration);
  const last = await api.query.system.lastRuntimeUpgrade();
  assert.equal(last.unwrap().specVersion.toNumber(), before + 1);

  // A transaction signed for the new spec_version goes through.
  const transfer = await sendOk(api, api.tx.balances.transferKeepAlive(client.address, KILN), alice);
  assert.ok(transfer.names.includes('balances.Transfer'), transfer.names.join(', '));
  console.log(`after the upgrade: best #${await bestNumber(api)}, finalized #${await finalizedNumber(api)}`);
});
