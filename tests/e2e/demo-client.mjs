// The client of scripts/dev.sh's demo: posts the example Wasm job, then a Gemm job, prints
// each one's life on chain (bids, award, commitment, reveal, verification, payment), then
// fetches the output from the worker that ran it and checks it against the revealed hash
// (blake2-256 of a Wasm job's output; the Merkle root of C for a Gemm job, recomputed here).
//   node tests/e2e/demo-client.mjs WS_URL JOB_DIR CONTENT_BASE_URL
// JOB_DIR holds job.wasm and input.txt, served at CONTENT_BASE_URL.
import { readFileSync } from 'node:fs';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';

const [ws, dir, base] = process.argv.slice(2);
await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(ws), noInitWarn: true });
const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
const KILN = 10n ** 12n;
const kiln = (planck) => `${Number(BigInt(planck)) / 1e12} KILN`;
const module = readFileSync(`${dir}/job.wasm`);
const input = readFileSync(`${dir}/input.txt`);
const ref = (bytes, path) => ({ hash: u8aToHex(blake2AsU8a(bytes, 256)), len: bytes.length, uri: `${base}/${path}` });

const requirements = { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 };
const wasmJob = {
  workload: { Wasm: { module: ref(module, 'job.wasm'), input: ref(input, 'input.txt'), fuel: 1_000_000_000 } },
  requirements,
  maxPrice: KILN,
  biddingBlocks: 3,
  executionBlocks: 10,
};
const gemmJob = {
  workload: { Gemm: { m: 256, n: 256, k: 1024, seed: u8aToHex(blake2AsU8a(`kiln demo ${Date.now()}`, 256)) } },
  requirements,
  maxPrice: KILN,
  biddingBlocks: 3,
  executionBlocks: 10,
};

/// The Merkle root of a Gemm job's output (C as little-endian int32): leaves of 64 entries
/// (the last padded with zeros) hashed as 0x00 ‖ index (u32 LE) ‖ entries, nodes as
/// 0x01 ‖ left ‖ right, the leaf level padded with zero hashes to a power of two.
function gemmRoot(bytes) {
  const leafBytes = 64 * 4;
  const leaves = Math.max(1, Math.ceil(bytes.length / leafBytes));
  let level = [];
  for (let i = 0; i < leaves; i++) {
    const pre = new Uint8Array(1 + 4 + leafBytes);
    new DataView(pre.buffer).setUint32(1, i, true);
    pre.set(bytes.subarray(i * leafBytes, (i + 1) * leafBytes), 5);
    level.push(blake2AsU8a(pre, 256));
  }
  let width = 1;
  while (width < leaves) width *= 2;
  while (level.length < width) level.push(new Uint8Array(32));
  while (level.length > 1) {
    const above = [];
    for (let i = 0; i < level.length; i += 2) {
      const pre = new Uint8Array(65);
      pre[0] = 1;
      pre.set(level[i], 1);
      pre.set(level[i + 1], 33);
      above.push(blake2AsU8a(pre, 256));
    }
    level = above;
  }
  return u8aToHex(level[0]);
}

let jobId = null;
let output = null;
let done = null;
let settled = () => {};
let failed = () => {};
api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      const about = (section) => event.section === section && jobId !== null && event.data[0].toNumber?.() === jobId;
      if (about('proofOfCompute') && event.method === 'JobChallenged') {
        console.log(`#${header.number.toNumber()} the chain samples the result: challenge ${event.data[1]}, entries drawn at #${event.data[2]}`);
      }
      if (event.section === 'proofOfCompute' && event.method === 'ChallengePassed') {
        console.log(`#${header.number.toNumber()} challenge ${event.data[0]} passed: the openings match C's root`);
      }
      if (!about('market')) continue;
      const d = event.data;
      const at = `#${header.number.toNumber()}`;
      switch (event.method) {
        case 'BidPlaced': console.log(`${at} bid ${kiln(d[2])} from ${d[1]}`); break;
        case 'BidRefused': console.log(`${at} bid refused (${d[2]}) from ${d[1]}`); break;
        case 'JobAwarded': console.log(`${at} awarded to ${d[1]} at ${kiln(d[2])}, deadline #${d[3]}`); break;
        case 'ResultCommitted': console.log(`${at} result committed`); break;
        case 'RevealRequested': console.log(`${at} reveal requested`); break;
        case 'ResultRevealed':
          output = d[1].toJSON();
          console.log(`${at} result revealed: ${output.len} bytes, hash ${output.hash}; ${d[2].isSome ? `settles at #${d[2]}` : 'settles when verification has spoken'}`);
          break;
        case 'JobCompleted': console.log(`${at} completed: ${kiln(d[2])} to the provider, ${kiln(d[3])} fee, ${kiln(d[4])} back to the client`); settled(); break;
        case 'JobFailed': case 'JobExpired': failed(new Error(`${at} job ${event.method}`)); break;
        default: console.log(`${at} ${event.method}`);
      }
    }
});

/// Posts `spec`, follows it to payment, fetches its output and checks it; returns the bytes.
async function run(spec, what) {
  output = null;
  done = new Promise((resolve, reject) => { settled = resolve; failed = reject; });
  const created = await new Promise((resolve, reject) => {
    api.tx.market.createJob(spec).signAndSend(alice, ({ status, events, dispatchError }) => {
      if (dispatchError) reject(new Error(`createJob failed: ${dispatchError}`));
      if (status.isInBlock) resolve(events);
    }).catch(reject);
  });
  jobId = created.map(({ event }) => event).find((e) => e.method === 'JobCreated').data[0].toNumber();
  console.log(`\njob ${jobId} posted by Alice: ${what}, at most ${kiln(spec.maxPrice)}`);
  await done;
  const uri = output.uri.startsWith('0x') ? Buffer.from(output.uri.slice(2), 'hex').toString() : output.uri;
  let body;
  for (let i = 0; i < 20; i++) {
    const response = await fetch(uri);
    if (response.ok) { body = Buffer.from(await response.arrayBuffer()); break; }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!body) throw new Error(`no output at ${uri}`);
  const gemm = spec.workload.Gemm;
  const hash = gemm ? gemmRoot(body) : u8aToHex(blake2AsU8a(body, 256));
  const kind = gemm ? 'Merkle root of C' : 'blake2-256';
  if (hash !== output.hash) throw new Error(`the output from ${uri} has ${kind} ${hash}, not the revealed ${output.hash}`);
  console.log(`output fetched from ${uri} (${body.length} bytes); its ${kind} is the revealed hash`);
  return body;
}

const text = await run(wasmJob, 'the example Wasm job');
console.log(text.toString());
const { m, n, k } = gemmJob.workload.Gemm;
const c = await run(gemmJob, `a Gemm job, C = A·B with m=${m} n=${n} k=${k}`);
const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
console.log(`C[0][0..4] = ${[0, 1, 2, 3].map((j) => view.getInt32(4 * j, true)).join(', ')}`);
await api.disconnect();
process.exit(0);
