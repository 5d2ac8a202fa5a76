// End-to-end: a client talks to a running `kiln-node --dev` with @polkadot/api.
// Started by tests/e2e/dev-chain.sh, which passes the node's endpoint in KILN_WS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';

const WS = process.env.KILN_WS ?? 'ws://127.0.0.1:9944';
const KILN = 10n ** 12n;
let api;
let keyring;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  api = await ApiPromise.create({ provider: new WsProvider(WS), noInitWarn: true, throwOnConnect: true });
});

after(async () => {
  await api?.disconnect();
});

test('the node serves Kiln metadata and chain properties', async () => {
  assert.equal(api.runtimeVersion.specName.toString(), 'kiln');
  assert.ok(api.runtimeMetadata.version >= 14, `metadata v${api.runtimeMetadata.version}`);
  const pallets = api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString());
  for (const name of ['System', 'Timestamp', 'Babe', 'Grandpa', 'Session', 'Authorship', 'Balances',
    'TransactionPayment', 'Treasury', 'Sudo']) {
    assert.ok(pallets.includes(name), `pallet ${name} in ${pallets.join(', ')}`);
  }
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'KILN');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(props.ss58Format.unwrap().toNumber(), 42);
  assert.equal(api.consts.balances.existentialDeposit.toBigInt(), KILN / 1000n);
  assert.equal((await api.rpc.system.chain()).toString(), 'Kiln Development');
});

test('Alice transfers KILN to a fresh account; the transfer is finalized and the fee goes to the Treasury', async () => {
  const alice = keyring.addFromUri('//Alice');
  const fresh = keyring.addFromMnemonic(mnemonicGenerate());
  const amount = 42n * KILN;
  const treasury = '5EYCAe5ijiYfyeZ2JJCGq56LmPyNRAKzpG4QkoQkkQNB5e6Z'; // PalletId(*b"py/trsry")

  const tx = api.tx.balances.transferKeepAlive(fresh.address, amount);
  const estimate = await tx.paymentInfo(alice); // payment_queryInfo through the node's RPC
  assert.ok(estimate.partialFee.toBigInt() > 0n, 'a transfer has a fee');

  const { blockHash, events } = await new Promise((resolve, reject) => {
    let inBlock;
    tx.signAndSend(alice, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        reject(new Error(`transfer failed: ${dispatchError.toString()}`));
      } else if (status.isInBlock) {
        inBlock = events;
      } else if (status.isFinalized) {
        resolve({ blockHash: status.asFinalized, events: inBlock ?? events });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        reject(new Error(`transfer not included: ${status.type}`));
      }
    }).catch(reject);
  });

  const names = events.map(({ event }) => `${event.section}.${event.method}`);
  assert.ok(names.includes('balances.Transfer'), names.join(', '));
  assert.ok(names.includes('system.ExtrinsicSuccess'), names.join(', '));
  const feeEvent = events.find(({ event }) => event.section === 'transactionPayment' && event.method === 'TransactionFeePaid');
  assert.ok(feeEvent, 'TransactionFeePaid emitted');
  const fee = feeEvent.event.data[1].toBigInt();

  const at = await api.at(blockHash);
  const finalizedHead = await api.rpc.chain.getFinalizedHead();
  const finalizedNumber = (await api.rpc.chain.getHeader(finalizedHead)).number.toNumber();
  const header = await api.rpc.chain.getHeader(blockHash);
  assert.ok(finalizedNumber >= header.number.toNumber(), 'the transfer block is finalized');

  // Balances before and after the block that includes the transfer (other tests may send
  // transactions meanwhile, so nothing is read at other blocks).
  const before = await api.at(header.parentHash);
  const aliceBefore = (await before.query.system.account(alice.address)).data.free.toBigInt();
  const treasuryBefore = (await before.query.system.account(treasury)).data.free.toBigInt();
  assert.equal((await at.query.system.account(fresh.address)).data.free.toBigInt(), amount);
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(aliceBefore - aliceAfter, amount + fee, 'Alice paid the amount and the fee');
  // The Treasury received every fee paid in that block, ours included.
  const blockFees = (await at.query.system.events())
    .filter(({ event }) => event.section === 'transactionPayment' && event.method === 'TransactionFeePaid')
    .reduce((sum, { event }) => sum + event.data[1].toBigInt(), 0n);
  const treasuryAfter = (await at.query.system.account(treasury)).data.free.toBigInt();
  assert.ok(blockFees >= fee);
  assert.equal(treasuryAfter - treasuryBefore, blockFees, 'the Treasury received the fees');
  assert.ok(fee <= estimate.partialFee.toBigInt(), `fee ${fee} within the estimate ${estimate.partialFee}`);
});
