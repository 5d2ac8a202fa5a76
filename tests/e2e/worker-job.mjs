// A client's steps, for tests/e2e/worker-run.sh's scenarios after its first job:
//   node worker-job.mjs post BASE_URL        posts a Wasm job whose module and input are
//                                            BASE_URL/job.wasm and BASE_URL/input.txt; prints its id
//   node worker-job.mjs post-gemm M N K      posts a Gemm job; prints its id
//   node worker-job.mjs post-bad KIND BASE_URL  posts a Wasm job no worker should bid on: KIND
//                                            missing (the input is a 404), wrong-hash (the
//                                            input's bytes do not match) or not-wasm (the module
//                                            is a text file); prints its id
//   node worker-job.mjs await-unbid ID       waits until job ID expires without a bid
//   node worker-job.mjs bid ID SURI PRICE    SURI bids PRICE planck on job ID (e.g. an account
//                                            that is no provider, to see the bid refused)
//   node worker-job.mjs spot-checks PERCENT  sets spot_check_probability (sudo configure)
//   node worker-job.mjs await ID ACCOUNT     waits until job ID is completed and checks ACCOUNT won
//                                            (for a Wasm job: the revealed hash is that of
//                                            expected.txt; for a Gemm job: the chain sampled the
//                                            result and the sampling passed)
//   node worker-job.mjs await-checked ID ACCOUNT VERIFIER   as `await`, and VERIFIER re-executed
//                                            the job, agreed and was paid its share
//   node worker-job.mjs await-overturned ID ACCOUNT  waits until verifiers overturn ACCOUNT's
//                                            result: ACCOUNT slashed, the client refunded
import { readFileSync } from 'node:fs';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, sendOk, KILN } from './chain.mjs';

const [mode, ...args] = process.argv.slice(2);
const { api, keyring } = await connect();
const alice = keyring.addFromUri('//Alice');
const dir = process.env.KILN_JOB_DIR;
const read = (name) => readFileSync(`${dir}/${name}`);
const ref = (bytes, url) => ({ hash: u8aToHex(blake2AsU8a(bytes, 256)), len: bytes.length, uri: url });
const cpu = { minVramMib: 0, minComputeCapability: 0, gpuCount: 0, backend: 'Cpu', region: null, minReputation: 0 };

async function post(workload) {
  const spec = { workload, requirements: cpu, maxPrice: KILN, biddingBlocks: 3, executionBlocks: 12 };
  const created = await sendOk(api, api.tx.market.createJob(spec), alice);
  const event = created.events.map(({ event }) => event).find((e) => e.section === 'market' && e.method === 'JobCreated');
  console.log(event.data[0].toNumber());
}

/// Waits until job `id` has ended; returns its state as JSON.
async function ended(id) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const job = (await api.query.market.jobs(id)).unwrap().toJSON();
    const state = typeof job.state === 'object' ? Object.keys(job.state)[0] : job.state;
    if (['completed', 'failed', 'expired', 'cancelled'].includes(state)) return { job, state };
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${JSON.stringify(job.state)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/// Every event about job `id` (and the challenges sampling it), from its creation to now, as
/// { name: "section.Method", data: JSON }.
async function jobEvents(id) {
  const events = [];
  const challenges = new Set();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const blocks = [];
  for (let n = best; n > 0; n--) {
    const records = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
    blocks.unshift(records);
    if (records.some(({ event }) => event.section === 'market' && event.method === 'JobCreated' && event.data[0].toNumber() === id)) break;
  }
  for (const records of blocks) {
    for (const { event } of records) {
      const data = event.data.toJSON();
      const name = `${event.section}.${event.method}`;
      if (name === 'proofOfCompute.JobChallenged' && data[0] === id) challenges.add(data[1]);
      const about = (event.section === 'market' || event.section === 'proofOfCompute') && data[0] === id;
      const sampling = event.section === 'proofOfCompute' && event.method.startsWith('Challenge') && challenges.has(data[0]);
      if (about || sampling) events.push({ name, data });
    }
  }
  return events;
}

function expectEvent(events, name, match = () => true) {
  const found = events.find((e) => e.name === name && match(e.data));
  if (!found) throw new Error(`no ${name} among ${JSON.stringify(events.map((e) => e.name))}`);
  return found.data;
}

async function completed(id, account) {
  const { job, state } = await ended(id);
  if (state !== 'completed') throw new Error(`job ${id} ended ${JSON.stringify(job.state)}`);
  if (job.award.provider !== account) throw new Error(`job ${id} was won by ${job.award.provider}, not ${account}`);
  const events = await jobEvents(id);
  const revealed = expectEvent(events, 'market.ResultRevealed')[1];
  if (job.spec.workload.gemm) {
    const [, challenge] = expectEvent(events, 'proofOfCompute.JobChallenged');
    expectEvent(events, 'proofOfCompute.ChallengePassed', (d) => d[0] === challenge);
    const { m, n } = job.spec.workload.gemm;
    if (revealed.len !== 4 * m * n) throw new Error(`job ${id}: output of ${revealed.len} bytes, not 4·m·n`);
    console.log(`job ${id}: Gemm result sampled by challenge ${challenge}, which passed`);
  } else {
    const hash = u8aToHex(blake2AsU8a(read('expected.txt'), 256));
    if (revealed.hash !== hash) throw new Error(`job ${id}: revealed ${revealed.hash}, not the expected output's hash`);
  }
  console.log(`job ${id}: completed, paid to ${account}`);
  return events;
}

try {
  if (mode === 'post') {
    const base = args[0];
    const module = read('job.wasm');
    const input = read('input.txt');
    await post({ Wasm: { module: ref(module, `${base}/job.wasm`), input: ref(input, `${base}/input.txt`), fuel: 1_000_000_000 } });
  } else if (mode === 'post-bad') {
    const [kind, base] = args;
    const module = read('job.wasm');
    const input = read('input.txt');
    let moduleRef = ref(module, `${base}/job.wasm`);
    let inputRef = ref(input, `${base}/input.txt`);
    if (kind === 'missing') inputRef = ref(input, `${base}/missing.txt`);
    else if (kind === 'wrong-hash') inputRef = { ...inputRef, hash: u8aToHex(blake2AsU8a('not the input', 256)) };
    else if (kind === 'not-wasm') moduleRef = ref(input, `${base}/input.txt`);
    else throw new Error(`unknown kind ${kind}`);
    await post({ Wasm: { module: moduleRef, input: inputRef, fuel: 1_000_000_000 } });
  } else if (mode === 'await-unbid') {
    const id = Number(args[0]);
    const { job, state } = await ended(id);
    if (state !== 'expired') throw new Error(`job ${id} ended ${JSON.stringify(job.state)}, not expired`);
    const bids = (await jobEvents(id)).filter((e) => e.name === 'market.BidPlaced');
    if (bids.length) throw new Error(`job ${id} was bid on: ${JSON.stringify(bids)}`);
    console.log(`job ${id}: expired without a bid`);
  } else if (mode === 'bid') {
    const [id, suri, price] = args;
    const { names } = await sendOk(api, api.tx.market.placeBid(Number(id), BigInt(price)), keyring.addFromUri(suri));
    console.log(`job ${id}: ${names.filter((n) => n.startsWith('market.')).join(', ')}`);
  } else if (mode === 'post-gemm') {
    const [m, n, k] = args.map(Number);
    await post({ Gemm: { m, n, k, seed: u8aToHex(blake2AsU8a(`kiln e2e ${Date.now()}`, 256)) } });
  } else if (mode === 'spot-checks') {
    const config = (await api.query.proofOfCompute.configuration()).toJSON();
    config.spotCheckProbability = Number(args[0]) * 10_000_000; // percent → parts per billion
    await sendOk(api, api.tx.sudo.sudo(api.tx.proofOfCompute.configure(config)), alice);
    console.log(`spot-checks on ${args[0]} % of results`);
  } else if (mode === 'await') {
    await completed(Number(args[0]), args[1]);
  } else if (mode === 'await-checked') {
    const [id, account, verifier] = [Number(args[0]), args[1], args[2]];
    const events = await completed(id, account);
    expectEvent(events, 'proofOfCompute.SpotCheckAssigned');
    expectEvent(events, 'proofOfCompute.SpotCheckPassed', (d) => d[1] === verifier);
    const [, paid, each] = expectEvent(events, 'market.VerifiersPaid');
    if (paid.length !== 1 || paid[0] !== verifier || BigInt(each) <= 0n) throw new Error(`verifiers paid: ${JSON.stringify(paid)}, ${each} each`);
    console.log(`job ${id}: spot-checked by ${verifier}, who agreed and was paid ${each} planck`);
  } else if (mode === 'await-overturned') {
    const [id, account] = [Number(args[0]), args[1]];
    const { job, state } = await ended(id);
    if (state !== 'failed') throw new Error(`job ${id} ended ${JSON.stringify(job.state)}, not failed`);
    const events = await jobEvents(id);
    expectEvent(events, 'proofOfCompute.SpotCheckMismatch');
    expectEvent(events, 'proofOfCompute.DisputeOpened');
    const [, outcome, losers] = expectEvent(events, 'proofOfCompute.DisputeResolved');
    if (outcome !== 'ProviderOverturned' && outcome?.providerOverturned === undefined) throw new Error(`dispute outcome ${JSON.stringify(outcome)}`);
    if (!losers.includes(account) || losers.length !== 1) throw new Error(`slashed in the dispute: ${JSON.stringify(losers)}`);
    const [, provider, refunded, slashed] = expectEvent(events, 'market.JobRejected');
    if (provider !== account || BigInt(refunded) <= 0n || BigInt(slashed) <= 0n) throw new Error(`JobRejected ${provider} refunded ${refunded} slashed ${slashed}`);
    const [, verifiers] = expectEvent(events, 'market.VerifiersPaid');
    console.log(`job ${id}: ${account}'s result overturned; slashed ${slashed}, client refunded ${refunded}; verifiers paid: ${verifiers.join(', ')}`);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await api.disconnect();
}
