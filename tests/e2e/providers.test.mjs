// End-to-end: a provider joins and leaves the registry through @polkadot/api, exactly as a
// client would (SPEC §3 Providers, Collateral). Started by tests/e2e/dev-chain.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mnemonicGenerate } from '@polkadot/util-crypto';
import { connect, send, sendOk, waitForBlock, bestNumber, KILN } from './chain.mjs';

let api;
let keyring;

before(async () => {
  ({ api, keyring } = await connect());
});

after(async () => {
  await api?.disconnect();
});

const profile = {
  gpus: [{ model: 'NVIDIA GeForce RTX 4090', vramMib: 24564, computeCapability: 89, count: 2 }],
  cpuCores: 16,
  ramMib: 65536,
  region: 'DE',
  backends: { cuda: true, cpu: true },
};
const endpoint = 'https://gpu1.example.org:8443';

test('a provider bonds, registers 2 GPUs, pauses, resumes, deregisters, unbonds and withdraws', async () => {
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromMnemonic(mnemonicGenerate());
  await sendOk(api, api.tx.balances.transferKeepAlive(provider.address, 1000n * KILN), alice);

  const collateralConfig = await api.query.collateral.configuration();
  const providersConfig = await api.query.providers.configuration();
  const perGpu = providersConfig.minBondPerGpu.toBigInt();
  const period = collateralConfig.unbondingPeriod.toNumber();
  assert.equal(perGpu, 100n * KILN);

  // Bond a bit more than two GPUs need.
  const bond = 2n * perGpu + 50n * KILN;
  let r = await sendOk(api, api.tx.collateral.bond(bond), provider);
  assert.ok(r.names.includes('collateral.Bonded'), r.names.join(', '));
  const ledger = (await api.query.collateral.ledgers(provider.address)).unwrap();
  assert.equal(ledger.active.toBigInt(), bond);
  assert.equal(ledger.locked.toBigInt(), 0n);

  r = await sendOk(api, api.tx.providers.register(profile, endpoint), provider);
  assert.ok(r.names.includes('providers.Registered'), r.names.join(', '));
  let record = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(record.status.toString(), 'Active');
  assert.equal(record.profile.gpus.length, 1);
  assert.equal(record.profile.gpus[0].count.toNumber(), 2);
  assert.equal(record.profile.gpus[0].vramMib.toNumber(), 24564);
  assert.equal(record.profile.gpus[0].computeCapability.toNumber(), 89);
  assert.equal(new TextDecoder().decode(record.profile.gpus[0].model.toU8a(true)), 'NVIDIA GeForce RTX 4090');
  assert.equal(new TextDecoder().decode(record.profile.region.toU8a(true)), 'DE');
  assert.equal(new TextDecoder().decode(record.endpoint.toU8a(true)), endpoint);
  assert.equal(record.reputation.jobsCompleted.toNumber(), 0);
  const deposit = record.deposit.toBigInt();
  assert.ok(deposit >= KILN, `deposit ${deposit}`);
  assert.equal((await api.query.providers.activeProviders()).toNumber() >= 1, true);

  // Registering twice is refused with the pallet's error.
  r = await send(api, api.tx.providers.register(profile, endpoint), provider);
  assert.equal(r.error, 'providers.AlreadyRegistered');

  r = await sendOk(api, api.tx.providers.pause(), provider);
  assert.ok(r.names.includes('providers.Paused'));
  record = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(record.status.toString(), 'Paused');
  r = await sendOk(api, api.tx.providers.resume(), provider);
  assert.ok(r.names.includes('providers.Resumed'));
  record = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(record.status.toString(), 'Active');

  // 100 KILN would leave 150 bonded, under the 200 that two registered GPUs need.
  r = await send(api, api.tx.collateral.unbond(100n * KILN), provider);
  assert.equal(r.error, 'collateral.BelowProviderMinimum');
  // The 50 above the minimum can go.
  await sendOk(api, api.tx.collateral.unbond(50n * KILN), provider);

  r = await sendOk(api, api.tx.providers.deregister(), provider);
  assert.ok(r.names.includes('providers.Deregistered'));
  assert.ok((await api.query.providers.providers(provider.address)).isNone);

  r = await sendOk(api, api.tx.collateral.unbond(2n * perGpu), provider);
  const unbonded = r.events.find(({ event }) => event.section === 'collateral' && event.method === 'Unbonded');
  const unlockAt = unbonded.event.data.unlockAt.toNumber();
  assert.equal(unlockAt, (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber() + period);

  // Too early: nothing to withdraw yet (the first chunk may already be free, so check the error
  // only when it is not).
  const early = await send(api, api.tx.collateral.withdrawUnbonded(), provider);
  if (early.error) assert.equal(early.error, 'collateral.NothingToWithdraw');

  await waitForBlock(api, unlockAt);
  r = await sendOk(api, api.tx.collateral.withdrawUnbonded(), provider);
  assert.ok(r.names.includes('collateral.Withdrawn'), r.names.join(', '));
  assert.ok((await api.query.collateral.ledgers(provider.address)).isNone, 'the ledger is gone');

  const account = await api.query.system.account(provider.address);
  // Everything came back; only transaction fees were spent.
  const spent = 1000n * KILN - account.data.free.toBigInt();
  assert.equal(account.data.reserved.toBigInt(), 0n, 'nothing on hold');
  assert.ok(spent > 0n && spent < KILN, `fees ${spent}`);
  assert.ok((await bestNumber(api)) >= unlockAt);
});

test('bad input gets the pallet\'s error', async () => {
  const alice = keyring.addFromUri('//Alice');
  const provider = keyring.addFromMnemonic(mnemonicGenerate());
  await sendOk(api, api.tx.balances.transferKeepAlive(provider.address, 100n * KILN), alice);

  // Sent together with consecutive nonces, so they land in one block, in this order.
  const cases = [
    [api.tx.providers.register(profile, endpoint), 'providers.InsufficientBond'],
    [api.tx.collateral.bond(KILN), 'collateral.BondTooSmall'],
    [api.tx.collateral.bond(1000n * KILN), 'collateral.InsufficientBalance'],
    [api.tx.collateral.bond(50n * KILN), null],
    [api.tx.collateral.bond(50n * KILN), 'collateral.AlreadyBonded'],
    [api.tx.providers.register({ ...profile, region: 'de' }, endpoint), 'providers.InvalidRegion'],
    [api.tx.providers.register(profile, 'gpu1.example.org'), 'providers.InvalidEndpoint'],
    [api.tx.providers.register({ ...profile, gpus: [] }, endpoint), 'providers.NoGpus'],
    [api.tx.providers.pause(), 'providers.NotRegistered'],
    [api.tx.collateral.unbond(51n * KILN), 'collateral.UnbondExceedsBond'],
    [api.tx.collateral.configure({ minBond: 1, unbondingPeriod: 1, slashRewardShare: 0 }), 'BadOrigin'],
  ];
  const first = (await api.rpc.system.accountNextIndex(provider.address)).toNumber();
  const results = await Promise.all(
    cases.map(([tx], i) => send(api, tx, provider, { nonce: first + i })),
  );
  results.forEach((r, i) => {
    const [tx, expected] = cases[i];
    assert.equal(r.error, expected, `${tx.method.section}.${tx.method.method} #${i}`);
  });
});
