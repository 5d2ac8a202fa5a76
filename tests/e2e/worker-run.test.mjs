// The client side of tests/e2e/worker-run.sh: posts a Wasm job that two running workers bid
// on and follows it to payment, then checks the winner's gateway and both workers' metrics.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, sendOk, KILN } from './chain.mjs';

const { api, keyring } = await connect();
after(() => api.disconnect());
const alice = keyring.addFromUri('//Alice');
const dave = keyring.addFromUri('//Dave');
const eve = keyring.addFromUri('//Eve');

const module = readFileSync(process.env.KILN_WASM);
const input = Buffer.from('to be\nor not to be\nthat is the question\n');
// What examples/wasm-jobs computes, written here independently.
const expected = Buffer.from(
  '2 TO BE\n4 OR NOT TO BE\n4 THAT IS THE QUESTION\nlines=3 words=10 bytes=40\n',
);

// The client's own web server for the module and the input.
const files = { '/job.wasm': module, '/input.txt': input };
const server = http.createServer((req, res) => {
  const body = files[req.url];
  if (!body) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Length': body.length });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => server.close());
const base = `http://127.0.0.1:${server.address().port}`;
const content = (bytes, path) => ({ hash: u8aToHex(blake2AsU8a(bytes, 256)), len: bytes.length, uri: `${base}${path}` });

/// Resolves with the first event `section.method` whose data passes `match`, from now on.
function nextEvent(section, method, match = () => true, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => { unsubscribe(); reject(new Error(`no ${section}.${method} in time`)); }, timeoutMs);
    api.query.system.events((records) => {
      for (const { event } of records) {
        if (event.section === section && event.method === method && match(event.data)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(event.data);
          return;
        }
      }
    }).then((u) => { unsubscribe = u; }).catch(reject);
  });
}

async function get(url) {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/// The value of a Prometheus sample, 0 when absent.
function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('the cheaper worker wins a Wasm job, runs it, is paid, and serves the output', async () => {
  const config = await api.query.market.configuration();
  const maxPrice = KILN; // both floors (0.05 and 0.2 KILN) are below it
  const spec = {
    workload: { Wasm: { module: content(module, '/job.wasm'), input: content(input, '/input.txt'), fuel: 1_000_000_000 } },
    requirements: { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 },
    maxPrice,
    biddingBlocks: 4,
    executionBlocks: 10,
  };
  const created = await sendOk(api, api.tx.market.createJob(spec), alice);
  const jobId = created.events.map(({ event }) => event)
    .find((e) => e.section === 'market' && e.method === 'JobCreated').data[0].toNumber();
  const isJob = (data) => data[0].toNumber() === jobId;
  console.log(`job ${jobId} posted`);

  const createdAt = (await api.rpc.chain.getHeader(created.blockHash)).number.toNumber();
  const awarded = await nextEvent('market', 'JobAwarded', isJob);
  // Every bid on the job, from the blocks between its creation and now.
  const bids = [];
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  for (let n = createdAt; n <= best; n++) {
    const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
    for (const { event } of events) {
      if (event.section === 'market' && event.method === 'BidPlaced' && isJob(event.data)) {
        bids.push({ provider: event.data[1].toString(), price: event.data[2].toBigInt() });
      }
    }
  }
  const winner = awarded[1].toString();
  const price = awarded[2].toBigInt();
  console.log(`bids: ${JSON.stringify(bids, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  assert.deepEqual(bids.map((b) => b.provider).sort(), [dave.address, eve.address].sort(), 'both workers bid');
  assert.equal(bids.find((b) => b.provider === dave.address).price, KILN / 20n, 'Dave bids his floor');
  assert.equal(bids.find((b) => b.provider === eve.address).price, KILN / 5n, 'Eve bids hers');
  assert.equal(winner, dave.address, 'the cheaper worker wins');
  assert.equal(price, KILN / 20n);

  const revealed = await nextEvent('market', 'ResultRevealed', isJob);
  // As JSON: `output.hash` would be the hash of the whole struct (a polkadot.js Codec getter).
  const output = revealed[1].toJSON();
  console.log(`revealed: ${JSON.stringify(output)}`);
  const hash = u8aToHex(blake2AsU8a(expected, 256));
  assert.equal(output.hash, hash, 'the revealed hash is blake2-256 of the expected output');
  assert.equal(output.len, expected.length);
  const uri = output.uri.startsWith('0x') ? Buffer.from(output.uri.slice(2), 'hex').toString() : output.uri;
  assert.equal(uri, `${process.env.KILN_DAVE}/jobs/${jobId}/output`);
  // Before settlement the output is not public: refused to an anonymous request and to
  // another account's signature; served to the client's signed request.
  assert.equal((await get(uri)).status, 403, 'refused before settlement');
  const signed = (pair, job) => {
    const time = Math.floor(Date.now() / 1000);
    const signature = u8aToHex(pair.sign(`kiln/output/${job}/${time}`));
    return { Authorization: `Kiln ${pair.address} ${time} ${signature}` };
  };
  const bob = keyring.addFromUri('//Bob');
  const asBob = await fetch(uri, { headers: signed(bob, jobId) });
  assert.equal(asBob.status, 403, "another account's signature is refused before settlement");
  console.log(`Bob before settlement: ${asBob.status} ${(await asBob.text()).trim()}`);
  const asClient = await fetch(uri, { headers: signed(alice, jobId) });
  assert.equal(asClient.status, 200, "the client's signed request is served before settlement");
  assert.deepEqual(Buffer.from(await asClient.arrayBuffer()), expected);
  const wrongJob = await fetch(uri, { headers: signed(alice, jobId + 1) });
  assert.equal(wrongJob.status, 403, 'a signature for another job is refused');

  await nextEvent('market', 'JobCompleted', isJob);
  // The block that settled it, and its parent (Dave's balance before).
  let completedAt;
  for (let n = (await api.rpc.chain.getHeader()).number.toNumber(); n > createdAt && !completedAt; n--) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const events = await (await api.at(hash)).query.system.events();
    const done = events.find(({ event }) => event.section === 'market' && event.method === 'JobCompleted' && isJob(event.data));
    if (done) completedAt = { hash, parent: await api.rpc.chain.getBlockHash(n - 1), data: done.event.data };
  }
  const [, provider, paid, fee] = completedAt.data;
  assert.equal(provider.toString(), dave.address);
  const protocolFee = BigInt(config.protocolFee.toNumber()); // parts per billion
  assert.equal(fee.toBigInt(), (price * protocolFee) / 1_000_000_000n, 'the protocol fee');
  assert.equal(paid.toBigInt() + fee.toBigInt(), price, 'paid + fee = the price');
  const before = (await (await api.at(completedAt.parent)).query.system.account(dave.address)).data.free.toBigInt();
  const afterPay = (await (await api.at(completedAt.hash)).query.system.account(dave.address)).data.free.toBigInt();
  assert.equal(afterPay - before, paid.toBigInt(), "Dave's free balance grows by exactly what he was paid");

  // Once settled, anyone gets the output from the worker; its hash is the revealed one.
  let fetched;
  for (let i = 0; i < 30; i++) {
    fetched = await get(uri);
    if (fetched.status === 200) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.equal(fetched.status, 200);
  assert.equal(u8aToHex(blake2AsU8a(fetched.body, 256)), hash);
  assert.deepEqual(fetched.body, expected);

  const daveMetrics = (await get(`${process.env.KILN_DAVE}/metrics`)).body.toString();
  const eveMetrics = (await get(`${process.env.KILN_EVE}/metrics`)).body.toString();
  assert.equal(sample(daveMetrics, 'kiln_worker_bids_total{outcome="placed"}'), 1);
  assert.equal(sample(daveMetrics, 'kiln_worker_bids_total{outcome="won"}'), 1);
  assert.equal(sample(daveMetrics, 'kiln_worker_jobs_total{outcome="completed"}'), 1);
  assert.equal(sample(daveMetrics, 'kiln_worker_earned_kiln_total'), 0.05);
  assert.ok(sample(daveMetrics, 'kiln_worker_backend_busy_seconds_total') > 0);
  assert.equal(sample(eveMetrics, 'kiln_worker_bids_total{outcome="placed"}'), 1);
  assert.equal(sample(eveMetrics, 'kiln_worker_bids_total{outcome="lost"}'), 1);
  assert.equal(sample(eveMetrics, 'kiln_worker_jobs_total{outcome="completed"}'), 0);
  assert.equal(sample(daveMetrics, 'kiln_worker_connected'), 1);
  const health = await get(`${process.env.KILN_DAVE}/health`);
  assert.equal(health.status, 200);
});
