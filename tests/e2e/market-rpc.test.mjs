// End-to-end: the market JSON-RPC methods (SPEC §5) from @polkadot/api (`api.rpc.market.*`,
// with the definitions a client registers, MARKET_RPC below) and from plain JSON-RPC over
// HTTP, as curl would send it. A job is created, bid on, awarded, revealed and settled; every
// method is read along the way, `market_quote` reflects the price just settled, and every
// bad input is answered with a JSON-RPC error that says what is wrong.
// Started by tests/e2e/dev-chain.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { mnemonicGenerate, blake2AsU8a } from '@polkadot/util-crypto';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { connect, sendOk, waitForBlock, WS, KILN } from './chain.mjs';

// What a @polkadot/api client registers to call the market methods (the answers are JSON).
export const MARKET_RPC = {
  market: {
    openJobs: {
      description: 'Open jobs, one page',
      params: [
        { name: 'page', type: 'u32', isOptional: true },
        { name: 'pageSize', type: 'u32', isOptional: true },
        { name: 'at', type: 'Hash', isOptional: true },
      ],
      type: 'Json',
    },
    job: {
      description: 'One job',
      params: [{ name: 'jobId', type: 'u64' }, { name: 'at', type: 'Hash', isOptional: true }],
      type: 'Json',
    },
    provider: {
      description: 'An account as a provider',
      params: [{ name: 'account', type: 'Text' }, { name: 'at', type: 'Hash', isOptional: true }],
      type: 'Json',
    },
    quote: {
      description: 'Recent clearing prices for a workload',
      params: [
        { name: 'requirements', type: 'Json' },
        { name: 'workload', type: 'Json' },
        { name: 'at', type: 'Hash', isOptional: true },
      ],
      type: 'Json',
    },
    stats: {
      description: 'Jobs, providers and money',
      params: [{ name: 'at', type: 'Hash', isOptional: true }],
      type: 'Json',
    },
  },
};

const HTTP = WS.replace(/^ws/, 'http');
let api; // with MARKET_RPC
let keyring;
let flow;

/// A plain JSON-RPC call over HTTP: { result } or { error: { code, message } }.
async function rpc(method, params = []) {
  const response = await fetch(HTTP, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  assert.equal(response.status, 200, `${method}: HTTP ${response.status}`);
  return response.json();
}

async function ok(method, params) {
  const reply = await rpc(method, params);
  assert.ok(reply.error === undefined, `${method}: ${JSON.stringify(reply.error)}`);
  return reply.result;
}

async function refused(method, params, code, words) {
  const reply = await rpc(method, params);
  assert.equal(reply.result, undefined, `${method}(${JSON.stringify(params)}) must fail`);
  assert.equal(reply.error.code, code, `${method}: ${JSON.stringify(reply.error)}`);
  assert.match(reply.error.message, words, `${method}: ${reply.error.message}`);
}

// Three GPUs of a kind no other test registers: the quote's comparable jobs are this test's.
const REQUIREMENTS = {
  minVramMib: 40000, minComputeCapability: 90, gpuCount: 3, backend: 'Cuda', region: null, minReputation: 0,
};
const FUEL = 3_000_000;
const PRICE = 3_000_000_000_123n; // a price no other test pays

function spec(maxPrice) {
  return {
    workload: {
      Wasm: {
        module: { hash: u8aToHex(new Uint8Array(32).fill(1)), len: 8, uri: 'https://example.org/job.wasm' },
        input: { hash: u8aToHex(new Uint8Array(32).fill(2)), len: 8, uri: 'https://example.org/input' },
        fuel: FUEL,
      },
    },
    requirements: REQUIREMENTS,
    maxPrice,
    biddingBlocks: 3,
    executionBlocks: 8,
  };
}

const quoteRequirements = { backend: 'cuda', gpuCount: 3 };

async function lifecycle({ client, provider, stranger }) {
  const before = await ok('market_quote', [quoteRequirements, { kind: 'wasm', fuel: FUEL }]);
  const statsBefore = await ok('market_stats', []);

  const created = await sendOk(api, api.tx.market.createJob(spec(5n * KILN)), client);
  const event = created.events.find(({ event: e }) => e.section === 'market' && e.method === 'JobCreated').event;
  const jobId = event.data.jobId.toNumber();

  // Open: listed with its spec in plain JSON.
  let job = await ok('market_job', [jobId]);
  assert.equal(job.id, jobId);
  assert.equal(job.client, client.address, 'accounts in SS58');
  assert.equal(job.state.name, 'bidding');
  assert.equal(job.maxPrice, (5n * KILN).toString(), 'amounts as decimal strings');
  assert.equal(job.workload.kind, 'wasm');
  assert.equal(job.workload.units, FUEL);
  assert.equal(job.workload.module.hash, `0x${'01'.repeat(32)}`, 'hashes in 0x hex');
  assert.deepEqual(job.requirements, {
    backend: 'cuda', gpuCount: 3, minVramMib: 40000, minComputeCapability: 9, region: null, minReputationPercent: 0,
  });
  assert.equal(job.biddingEnds.number, event.data.biddingEnds.toNumber());
  assert.ok(!Number.isNaN(Date.parse(job.biddingEnds.time)), `a time: ${job.biddingEnds.time}`);
  assert.equal(job.biddingEnds.past, false);
  assert.deepEqual(job.refusals, { total: 0, reasons: [] });
  assert.equal(job.award, null);
  let open = await ok('market_openJobs', [0, 100]);
  assert.ok(open.jobs.some((j) => j.id === jobId && j.bids === 0), JSON.stringify(open));

  // A bid, and a refused one (the client's own account is no provider), seen in the record.
  await sendOk(api, api.tx.market.placeBid(jobId, PRICE), provider);
  await sendOk(api, api.tx.market.placeBid(jobId, PRICE), stranger);
  job = await api.rpc.market.job(jobId).then((j) => j.toJSON());
  assert.equal(job.bids.length, 1);
  assert.equal(job.bids[0].provider, provider.address);
  assert.equal(job.bids[0].price, PRICE.toString());
  assert.deepEqual(job.refusals.reasons, [{ reason: 'notProvider', count: 1, meaning: 'not a registered provider' }]);

  await waitForBlock(api, job.biddingEnds.number);
  job = await ok('market_job', [jobId]);
  assert.equal(job.state.name, 'awarded');
  assert.equal(job.award.provider, provider.address);
  assert.equal(job.award.price, PRICE.toString());
  open = await ok('market_openJobs', [0, 100]);
  assert.ok(!open.jobs.some((j) => j.id === jobId), 'no longer open');
  const busy = await ok('market_provider', [provider.address]);
  assert.equal(busy.registration.jobsInFlight, 1);
  assert.notEqual(busy.bond.locked, '0');

  const output = { hash: blake2AsU8a(new TextEncoder().encode('rpc output'), 256), len: 10, uri: 'https://rpc.example.org/out/0' };
  const salt = new Uint8Array(32).fill(3);
  await sendOk(api, api.tx.market.commitResult(jobId, blake2AsU8a(u8aConcat(output.hash, salt), 256)), provider);
  job = await ok('market_job', [jobId]);
  assert.equal(job.state.name, 'committed');
  assert.equal(job.state.revealRequested, 'byMarket');
  const revealed = await sendOk(api, api.tx.market.revealResult(jobId, output, salt), provider);
  const settlesAt = revealed.events.find(({ event: e }) => e.method === 'ResultRevealed').event.data.settlesAt.unwrap().toNumber();
  job = await ok('market_job', [jobId]);
  assert.equal(job.state.name, 'revealed');
  assert.equal(job.result.hash, u8aToHex(output.hash));
  assert.equal(job.state.settlesAt.number, settlesAt);

  await waitForBlock(api, settlesAt);
  job = await ok('market_job', [jobId]);
  assert.equal(job.state.name, 'completed');
  assert.equal(job.result.hash, u8aToHex(output.hash), 'the result stays readable after settlement');
  assert.equal(job.result.uri, output.uri);
  const config = await api.query.market.configuration();
  const fee = PRICE * BigInt(config.protocolFee.toNumber()) / 1_000_000_000n;
  assert.equal(job.outcome.kind, 'completed');
  assert.equal(job.outcome.paid, (PRICE - fee).toString());
  assert.equal(job.outcome.fee, fee.toString());
  assert.equal(job.outcome.slashed, '0');

  // The quote now counts the settled price: one more comparable job, and at the job's own
  // units the price it paid.
  const after = await ok('market_quote', [quoteRequirements, { kind: 'wasm', fuel: FUEL }]);
  assert.equal(after.comparable.count, (before.comparable?.count ?? 0) + 1, JSON.stringify(after));
  assert.equal(after.kind, 'wasm');
  assert.equal(after.unit, 'fuel');
  assert.equal(after.comparable.max, PRICE.toString());
  const twice = await api.rpc.market.quote(quoteRequirements, { kind: 'wasm', fuel: 2 * FUEL }).then((q) => q.toJSON());
  assert.equal(twice.comparable.max, (2n * PRICE).toString(), 'scaled to the asked units');

  const p = await ok('market_provider', [provider.address]);
  assert.equal(p.registered, true);
  assert.equal(p.registration.status, 'active');
  assert.equal(p.registration.endpoint, 'https://rpc-provider.example.org');
  assert.equal(p.registration.profile.gpus[0].count, 3);
  assert.equal(p.registration.jobsInFlight, 0);
  assert.equal(p.bond.active, (300n * KILN).toString());
  assert.equal(p.bond.locked, '0');
  assert.equal(p.reputation.jobsCompleted, 1);
  assert.ok(p.scorePercent > 50);

  const stats = await ok('market_stats', []);
  assert.ok(stats.jobs.created >= statsBefore.jobs.created + 1);
  assert.ok(stats.jobs.completed >= statsBefore.jobs.completed + 1);
  assert.ok(BigInt(stats.kiln.paidToProviders) >= BigInt(statsBefore.kiln.paidToProviders) + PRICE - fee);
  assert.ok(stats.providers.registered >= 1 && stats.providers.active >= 1);
  const viaApi = (await api.rpc.market.stats()).toJSON();
  assert.equal(typeof viaApi.kiln.bonded, 'string');
  return jobId;
}

before(async () => {
  let plain;
  ({ api: plain, keyring } = await connect());
  await plain.disconnect();
  api = await ApiPromise.create({ provider: new WsProvider(WS), rpc: MARKET_RPC, noInitWarn: true, throwOnConnect: true });
  const alice = keyring.addFromUri('//Alice');
  const client = keyring.addFromMnemonic(mnemonicGenerate());
  const provider = keyring.addFromMnemonic(mnemonicGenerate());
  const stranger = keyring.addFromMnemonic(mnemonicGenerate()); // no provider: its bid is refused
  const nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all([client, provider, stranger].map((who, i) =>
    sendOk(api, api.tx.balances.transferKeepAlive(who.address, 1000n * KILN), alice, { nonce: nonce + i })));
  await sendOk(api, api.tx.collateral.bond(300n * KILN), provider);
  const profile = {
    gpus: [{ model: 'NVIDIA H100', vramMib: 81559, computeCapability: 90, count: 3 }],
    cpuCores: 32, ramMib: 262144, region: 'NL', backends: { cuda: true, cpu: true },
  };
  await sendOk(api, api.tx.providers.register(profile, 'https://rpc-provider.example.org'), provider);
  flow = lifecycle({ client, provider, stranger });
  flow.catch(() => {}); // reported by the test below
});

after(async () => {
  await api?.disconnect();
});

test('every market method follows a job from bidding to settlement; quotes count the settled price', async () => {
  await flow;
});

test('bad input gets a JSON-RPC error that says what is wrong', async () => {
  const INVALID = -32602;
  const NOT_FOUND = 4004;
  await refused('market_job', [4_000_000_000], NOT_FOUND, /no job 4000000000/);
  await refused('market_job', ['seven'], INVALID, /invalid/i);
  await refused('market_job', [-1], INVALID, /invalid/i);
  await refused('market_provider', ['not-an-address'], INVALID, /malformed account 'not-an-address'/);
  const nobody = keyring.addFromMnemonic(mnemonicGenerate()).address;
  await refused('market_provider', [nobody], NOT_FOUND, /is not a provider/);
  await refused('market_openJobs', [0, 0], INVALID, /pageSize 0: expected 1 to 100/);
  await refused('market_openJobs', [0, 101], INVALID, /pageSize 101/);
  await refused('market_openJobs', [1_000_000, 100], INVALID, /page 1000000 is beyond the last page/);
  await refused('market_quote', [{ backend: 'tpu' }, { kind: 'wasm', fuel: 1 }], INVALID, /unknown backend 'tpu'/);
  await refused('market_quote', [{ backend: 'cpu' }, { kind: 'gpu', units: 1 }], INVALID, /unknown kind 'gpu'/);
  await refused('market_quote', [{ backend: 'cpu' }, { kind: 'gemm', m: 4 }], INVALID, /needs `m`, `n` and `k`/);
  await refused('market_quote', [{ backend: 'cpu', gpus: 2 }, { kind: 'wasm', fuel: 1 }], INVALID, /unknown field `gpus`/);
  await refused('market_stats', ['0x1234'], INVALID, /invalid/i);
  // Page 0 of an empty (or any) list is a page; a quote nobody can answer is an empty one.
  const page = await ok('market_openJobs', []);
  assert.equal(page.pageSize, 20);
  const empty = await ok('market_quote', [{ backend: 'cpu', gpuCount: 16 }, { kind: 'gemm', m: 1, n: 1, k: 1 }]);
  assert.equal(empty.comparable, null);
  // From @polkadot/api the same errors reject the call.
  await assert.rejects(api.rpc.market.job(4_000_000_000), /no job 4000000000/);
});
