// A client's two steps, for tests/e2e/worker-run.sh's crash and restart scenarios:
//   node worker-job.mjs post BASE_URL   posts a Wasm job whose module and input are
//                                       BASE_URL/job.wasm and BASE_URL/input.txt; prints its id
//   node worker-job.mjs await ID ACCOUNT  waits until job ID is completed, checks ACCOUNT won
//                                       and the revealed hash is the input's expected output's
import { readFileSync } from 'node:fs';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, sendOk, KILN } from './chain.mjs';

const [mode, arg, account] = process.argv.slice(2);
const { api, keyring } = await connect();
const dir = process.env.KILN_JOB_DIR;
const module = readFileSync(`${dir}/job.wasm`);
const input = readFileSync(`${dir}/input.txt`);
const expected = readFileSync(`${dir}/expected.txt`);
const ref = (bytes, url) => ({ hash: u8aToHex(blake2AsU8a(bytes, 256)), len: bytes.length, uri: url });

try {
  if (mode === 'post') {
    const spec = {
      workload: { Wasm: { module: ref(module, `${arg}/job.wasm`), input: ref(input, `${arg}/input.txt`), fuel: 1_000_000_000 } },
      requirements: { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 },
      maxPrice: KILN,
      biddingBlocks: 3,
      executionBlocks: 12,
    };
    const created = await sendOk(api, api.tx.market.createJob(spec), keyring.addFromUri('//Alice'));
    const event = created.events.map(({ event }) => event).find((e) => e.section === 'market' && e.method === 'JobCreated');
    console.log(event.data[0].toNumber());
  } else if (mode === 'await') {
    const id = Number(arg);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const job = (await api.query.market.jobs(id)).unwrap().toJSON();
      const state = Object.keys(job.state)[0] ?? job.state;
      if (typeof job.state === 'object' && job.state.completed !== undefined) {
        if (job.award.provider !== account) throw new Error(`job ${id} was won by ${job.award.provider}, not ${account}`);
        console.log(`job ${id}: completed, paid to ${account}`);
        break;
      }
      if (typeof job.state === 'object' && (job.state.failed !== undefined || job.state.expired !== undefined)) {
        throw new Error(`job ${id} ended ${JSON.stringify(job.state)}`);
      }
      if (Date.now() > deadline) throw new Error(`job ${id} is still ${JSON.stringify(job.state)}`);
      if (state === 'revealed' || job.state.revealed) {
        const hash = job.state.revealed.output.hash;
        if (hash !== u8aToHex(blake2AsU8a(expected, 256))) throw new Error(`job ${id}: revealed ${hash}, not the expected output's hash`);
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await api.disconnect();
}
