// End-to-end: jobs through the market with @polkadot/api, exactly as clients and providers
// would (SPEC §3 Market, Escrow). Three jobs run side by side on a dev chain:
//   1. two providers bid, the lower one is awarded, commits and reveals; the client, the
//      provider and the Treasury change by exactly the price, the fee and the refund;
//   2. nobody acceptable bids: the client sees why (refusal counts) and is refunded;
//   3. the provider misses its deadline: the client is refunded in full, the provider slashed.
// Started by tests/e2e/dev-chain.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mnemonicGenerate, blake2AsU8a } from '@polkadot/util-crypto';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { connect, send, sendOk, waitForBlock, KILN } from './chain.mjs';

const TREASURY = '5EYCAe5ijiYfyeZ2JJCGq56LmPyNRAKzpG4QkoQkkQNB5e6Z'; // PalletId(*b"py/trsry")

let api;
let keyring;
const flows = {};

function profile(region) {
  return {
    gpus: [{ model: 'NVIDIA L4', vramMib: 23034, computeCapability: 89, count: 1 }],
    cpuCores: 8,
    ramMib: 32768,
    region,
    backends: { cuda: true, cpu: true },
  };
}

// What a job locks: max_price, the flat verification fee and verification_percent of max_price.
function escrowOf(config, maxPrice) {
  const percent = BigInt(config.verificationPercent.toNumber());
  return maxPrice + config.verificationFee.toBigInt() + (maxPrice * percent) / 100n;
}

function spec({ maxPrice, region = null, bidding = 4, execution = 8 }) {
  return {
    // A Wasm job: settled after the verification window (the dev preset spot-checks nothing;
    // `Gemm` results are always sampled, see proof-of-compute.test.mjs).
    workload: {
      Wasm: {
        module: { hash: u8aToHex(new Uint8Array(32).fill(1)), len: 8, uri: 'https://example.org/job.wasm' },
        input: { hash: u8aToHex(new Uint8Array(32).fill(2)), len: 8, uri: 'https://example.org/input' },
        fuel: 1000000,
      },
    },
    requirements: {
      minVramMib: 16000, minComputeCapability: 80, gpuCount: 1, backend: 'Cuda', region, minReputation: 0,
    },
    maxPrice,
    biddingBlocks: bidding,
    executionBlocks: execution,
  };
}

const eventsOf = (result, section, method) =>
  result.events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);

/// The block `number`'s state and events, and its parent's state.
async function blockAt(number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const header = await api.rpc.chain.getHeader(hash);
  const at = await api.at(hash);
  const parent = await api.at(header.parentHash);
  const events = (await at.query.system.events()).map(({ event }) => event);
  const account = async (state, who) => (await state.query.system.account(who)).data;
  return {
    events,
    find: (section, method, jobId) =>
      events.find((e) => e.section === section && e.method === method && e.data.jobId.toNumber() === jobId),
    /// { free, total } of `who` after minus before the block.
    delta: async (who) => {
      const [a, b] = [await account(at, who), await account(parent, who)];
      return {
        free: a.free.toBigInt() - b.free.toBigInt(),
        total: a.free.toBigInt() + a.reserved.toBigInt() - b.free.toBigInt() - b.reserved.toBigInt(),
      };
    },
    /// What the Treasury should have received in this block: transaction fees, protocol fees
    /// and slashes (other jobs may end in the same block).
    treasuryIncome: events.reduce((sum, e) => {
      if (e.section === 'transactionPayment' && e.method === 'TransactionFeePaid') {
        return sum + e.data[1].toBigInt() + e.data[2].toBigInt();
      }
      if (e.section === 'escrow' && e.method === 'FeeCollected') return sum + e.data.amount.toBigInt();
      if (e.section === 'collateral' && e.method === 'Slashed') return sum + e.data.amount.toBigInt();
      return sum;
    }, 0n),
  };
}

async function createJob(client, jobSpec) {
  const r = await sendOk(api, api.tx.market.createJob(jobSpec), client);
  const [created] = eventsOf(r, 'market', 'JobCreated');
  assert.ok(created, r.names.join(', '));
  return { jobId: created.data.jobId.toNumber(), biddingEnds: created.data.biddingEnds.toNumber(), result: r };
}

async function job(jobId) {
  return (await api.query.market.jobs(jobId)).unwrap();
}

async function lifecycle({ client, cheap, dear }) {
  const maxPrice = 10n * KILN;
  const { jobId, biddingEnds, result: created } = await createJob(client, spec({ maxPrice }));
  const config = await api.query.market.configuration();
  const escrowed = escrowOf(config, maxPrice);
  const [locked] = eventsOf(created, 'escrow', 'Locked');
  assert.equal(locked.data.amount.toBigInt(), escrowed);

  // Both bid in the same block; the lower price wins.
  const [a, b] = await Promise.all([
    sendOk(api, api.tx.market.placeBid(jobId, 6n * KILN), dear),
    sendOk(api, api.tx.market.placeBid(jobId, 4n * KILN), cheap),
  ]);
  assert.ok(a.names.includes('market.BidPlaced') && b.names.includes('market.BidPlaced'));
  assert.equal((await api.query.market.bids(jobId)).length, 2);

  await waitForBlock(api, biddingEnds);
  const close = await blockAt(biddingEnds);
  const awarded = close.find('market', 'JobAwarded', jobId);
  assert.ok(awarded, 'JobAwarded at bidding_ends');
  assert.equal(awarded.data.provider.toString(), cheap.address);
  assert.equal(awarded.data.price.toBigInt(), 4n * KILN);
  // The winner locked `fixed` + `percentOfPrice` % of the price of its bond.
  const rule = config.jobCollateral;
  const collateral = rule.fixed.toBigInt() + 4n * KILN * BigInt(rule.percentOfPrice.toNumber()) / 100n;
  const ledger = (await api.query.collateral.ledgers(cheap.address)).unwrap();
  assert.equal(ledger.locked.toBigInt(), collateral);

  // Commit, then reveal once asked.
  const output = {
    hash: blake2AsU8a(new TextEncoder().encode('the product of A and B'), 256),
    len: 22,
    uri: 'https://l4.example.org/out/0',
  };
  const salt = new Uint8Array(32).fill(42);
  const commitment = blake2AsU8a(u8aConcat(output.hash, salt), 256);
  let r = await sendOk(api, api.tx.market.commitResult(jobId, commitment), cheap);
  assert.ok(r.names.includes('market.RevealRequested'), r.names.join(', '));
  // A reveal that does not match the commitment is refused.
  r = await send(api, api.tx.market.revealResult(jobId, output, new Uint8Array(32).fill(7)), cheap);
  assert.equal(r.error, 'market.CommitmentMismatch');
  r = await sendOk(api, api.tx.market.revealResult(jobId, output, salt), cheap);
  const [revealed] = eventsOf(r, 'market', 'ResultRevealed');
  const settlesAt = revealed.data.settlesAt.unwrap().toNumber();

  await waitForBlock(api, settlesAt);
  const settle = await blockAt(settlesAt);
  const completed = settle.find('market', 'JobCompleted', jobId);
  assert.ok(completed, 'JobCompleted at settles_at');
  const price = 4n * KILN;
  const fee = price * BigInt(config.protocolFee.toNumber()) / 1_000_000_000n;
  assert.equal(completed.data.fee.toBigInt(), fee);
  assert.equal(completed.data.paid.toBigInt(), price - fee);
  assert.equal(completed.data.refunded.toBigInt(), escrowed - price);
  // Exactly what the chain says moved: the provider got price - fee, the Treasury the fee (and
  // the block's transaction fees), the client's hold shrank by the price and the rest came back.
  assert.deepEqual(await settle.delta(cheap.address), { free: price - fee, total: price - fee });
  assert.ok(settle.events.some((e) => e.section === 'escrow' && e.method === 'FeeCollected' &&
    e.data.jobId.toNumber() === jobId && e.data.amount.toBigInt() === fee));
  assert.equal((await settle.delta(TREASURY)).free, settle.treasuryIncome);
  assert.deepEqual(await settle.delta(client.address), { free: escrowed - price, total: -price });
  assert.equal((await api.query.collateral.ledgers(cheap.address)).unwrap().locked.toBigInt(), 0n);
  const record = await job(jobId);
  assert.ok(record.state.isCompleted, record.state.type);
  const provider = (await api.query.providers.providers(cheap.address)).unwrap();
  assert.equal(provider.reputation.jobsCompleted.toNumber(), 1);
}

async function noBids({ client, stranger, faraway }) {
  const maxPrice = 5n * KILN;
  const { jobId, biddingEnds } = await createJob(client, spec({ maxPrice, region: 'JP', bidding: 5 }));
  // An account that is not a provider, and a provider in the wrong region: both refused; the
  // calls succeed (and pay their fee) so that the refusals can be counted on chain.
  const [s, f] = await Promise.all([
    sendOk(api, api.tx.market.placeBid(jobId, KILN), stranger),
    sendOk(api, api.tx.market.placeBid(jobId, KILN), faraway),
  ]);
  const [refusedS] = eventsOf(s, 'market', 'BidRefused');
  const [refusedF] = eventsOf(f, 'market', 'BidRefused');
  assert.equal(JSON.stringify(refusedS.data.reason.toJSON()), '{"ineligible":"NotProvider"}');
  assert.equal(JSON.stringify(refusedF.data.reason.toJSON()), '{"ineligible":"Region"}');
  // Malformed bids are errors.
  const tooHigh = await send(api, api.tx.market.placeBid(jobId, 6n * KILN), stranger);
  assert.equal(tooHigh.error, 'market.PriceAboveMax');

  await waitForBlock(api, biddingEnds);
  const close = await blockAt(biddingEnds);
  assert.ok(close.find('market', 'JobExpired', jobId), 'JobExpired at bidding_ends');
  const escrowed = escrowOf(await api.query.market.configuration(), maxPrice);
  assert.deepEqual(await close.delta(client.address), { free: escrowed, total: 0n });
  const record = await job(jobId);
  assert.ok(record.state.isExpired, record.state.type);
  assert.equal(record.refusals.notProvider.toNumber(), 1);
  assert.equal(record.refusals.region.toNumber(), 1);
}

async function missedDeadline({ client, lazy }) {
  const maxPrice = 3n * KILN;
  const { jobId, biddingEnds } = await createJob(client, spec({ maxPrice, execution: 3 }));
  await sendOk(api, api.tx.market.placeBid(jobId, 2n * KILN), lazy);
  await waitForBlock(api, biddingEnds);
  const record = await job(jobId);
  assert.ok(record.state.isAwarded, record.state.type);
  const deadline = record.deadline.toNumber();
  const config = await api.query.market.configuration();
  const collateral = record.award.unwrap().collateral.toBigInt();
  const bondedBefore = (await api.query.collateral.ledgers(lazy.address)).unwrap().active.toBigInt();

  // The provider never commits.
  await waitForBlock(api, deadline);
  const fail = await blockAt(deadline);
  const failed = fail.find('market', 'JobFailed', jobId);
  assert.ok(failed, 'JobFailed at the deadline');
  const escrowed = escrowOf(config, maxPrice);
  const slashed = collateral * BigInt(config.slashMissedDeadline.toNumber()) / 1_000_000_000n;
  assert.equal(failed.data.refunded.toBigInt(), escrowed);
  assert.equal(failed.data.slashed.toBigInt(), slashed);
  assert.deepEqual(await fail.delta(client.address), { free: escrowed, total: 0n });
  assert.ok(fail.events.some((e) => e.section === 'collateral' && e.method === 'Slashed' &&
    e.data.who.toString() === lazy.address && e.data.amount.toBigInt() === slashed));
  assert.equal((await fail.delta(TREASURY)).free, fail.treasuryIncome);
  const ledger = (await api.query.collateral.ledgers(lazy.address)).unwrap();
  assert.equal(ledger.active.toBigInt(), bondedBefore - slashed);
  assert.equal(ledger.locked.toBigInt(), 0n);
  const provider = (await api.query.providers.providers(lazy.address)).unwrap();
  assert.equal(provider.reputation.jobsFailed.toNumber(), 1);
}

before(async () => {
  ({ api, keyring } = await connect());
  const alice = keyring.addFromUri('//Alice');
  const names = ['client1', 'client2', 'client3', 'cheap', 'dear', 'lazy', 'faraway', 'stranger'];
  const acc = Object.fromEntries(names.map((n) => [n, keyring.addFromMnemonic(mnemonicGenerate())]));
  // Fund everyone in one block (explicit nonces).
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all(names.map((n, i) =>
    sendOk(api, api.tx.balances.transferKeepAlive(acc[n].address, 1000n * KILN), alice, { nonce: nonce + i })));
  // Four providers with one GPU each (100 KILN per GPU; 150 bonded leaves room for job collateral).
  await Promise.all([['cheap', 'DE'], ['dear', 'DE'], ['lazy', 'DE'], ['faraway', 'FR']].map(async ([n, region]) => {
    await sendOk(api, api.tx.collateral.bond(150n * KILN), acc[n]);
    await sendOk(api, api.tx.providers.register(profile(region), `https://${n}.example.org`), acc[n]);
  }));
  // The three jobs run side by side; each test awaits its own.
  flows.lifecycle = lifecycle({ client: acc.client1, cheap: acc.cheap, dear: acc.dear });
  flows.noBids = noBids({ client: acc.client2, stranger: acc.stranger, faraway: acc.faraway });
  flows.missed = missedDeadline({ client: acc.client3, lazy: acc.lazy });
  for (const flow of Object.values(flows)) flow.catch(() => {}); // reported by the tests below
});

after(async () => {
  await api?.disconnect();
});

test('two providers bid, the lower is awarded, commits, reveals and is paid price - fee; the client gets the rest back', async () => {
  await flows.lifecycle;
});

test('a job nobody acceptable bids on expires with a full refund, and the client sees why', async () => {
  await flows.noBids;
});

test('a provider that misses its deadline is slashed and the client refunded in full', async () => {
  await flows.missed;
});
