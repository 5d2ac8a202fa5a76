// The client of scripts/dev.sh's demo: posts the example Wasm job, prints its life on chain
// (bids, award, commitment, reveal, verification window, payment), then fetches the output
// from the worker that ran it and checks it against the revealed hash.
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

const spec = {
  workload: { Wasm: { module: ref(module, 'job.wasm'), input: ref(input, 'input.txt'), fuel: 1_000_000_000 } },
  requirements: { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 },
  maxPrice: KILN,
  biddingBlocks: 3,
  executionBlocks: 10,
};

let jobId = null;
let output = null;
const done = new Promise((resolve, reject) => {
  api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (event.section !== 'market' || jobId === null || event.data[0].toNumber?.() !== jobId) continue;
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
          console.log(`${at} result revealed: ${output.len} bytes, blake2-256 ${output.hash}; settles at #${d[2]}`);
          break;
        case 'JobCompleted': console.log(`${at} completed: ${kiln(d[2])} to the provider, ${kiln(d[3])} fee, ${kiln(d[4])} back to the client`); resolve(); break;
        case 'JobFailed': case 'JobExpired': reject(new Error(`${at} job ${event.method}`)); break;
        default: console.log(`${at} ${event.method}`);
      }
    }
  }).catch(reject);
});

const created = await new Promise((resolve, reject) => {
  api.tx.market.createJob(spec).signAndSend(alice, ({ status, events, dispatchError }) => {
    if (dispatchError) reject(new Error(`createJob failed: ${dispatchError}`));
    if (status.isInBlock) resolve(events);
  }).catch(reject);
});
jobId = created.map(({ event }) => event).find((e) => e.method === 'JobCreated').data[0].toNumber();
console.log(`job ${jobId} posted by Alice: the example Wasm job, at most ${kiln(spec.maxPrice)}`);
await done;

const uri = output.uri.startsWith('0x') ? Buffer.from(output.uri.slice(2), 'hex').toString() : output.uri;
let body;
for (let i = 0; i < 20; i++) {
  const response = await fetch(uri);
  if (response.ok) { body = Buffer.from(await response.arrayBuffer()); break; }
  await new Promise((r) => setTimeout(r, 1000));
}
if (!body) throw new Error(`no output at ${uri}`);
const hash = u8aToHex(blake2AsU8a(body, 256));
if (hash !== output.hash) throw new Error(`the output from ${uri} has blake2-256 ${hash}, not the revealed ${output.hash}`);
console.log(`output fetched from ${uri}; its blake2-256 is the revealed hash:\n${body.toString()}`);
await api.disconnect();
process.exit(0);
