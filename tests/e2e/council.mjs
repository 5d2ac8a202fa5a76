// Council motions for the end-to-end tests, as members would make them from polkadot.js Apps:
// propose, vote, close, release the deposit (docs/governance.md §2).
import { sendOk } from './chain.mjs';

const eventsOf = (result, section, method) =>
  result.events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);

/// `proposer` proposes `call` needing `threshold` ayes; returns { hash, index, length, result }
/// (no hash when a threshold of 1 executed it at once).
export async function propose(api, call, threshold, proposer) {
  const length = call.method.encodedLength;
  const result = await sendOk(api, api.tx.council.propose(threshold, call, length), proposer);
  const [proposed] = eventsOf(result, 'council', 'Proposed');
  if (!proposed) return { result, length };
  return { hash: proposed.data.proposalHash, index: proposed.data.proposalIndex.toNumber(), length, result };
}

/// A full 2-of-3 motion: `a` proposes, `a` and `b` vote aye (in one block), `b` closes and
/// `a` takes its deposit back. Returns the close's result; throws unless the call executed
/// without error.
export async function pass(api, call, a, b) {
  const motion = await propose(api, call, 2, a);
  if (!motion.hash) throw new Error(`no motion: ${motion.result.names.join(', ')}`);
  await Promise.all([
    sendOk(api, api.tx.council.vote(motion.hash, motion.index, true), a),
    sendOk(api, api.tx.council.vote(motion.hash, motion.index, true), b),
  ]);
  const { weight } = await api.call.transactionPaymentCallApi.queryCallInfo(call, motion.length);
  const closed = await sendOk(api, api.tx.council.close(motion.hash, motion.index, weight, motion.length), b);
  const [executed] = eventsOf(closed, 'council', 'Executed');
  if (!executed || !executed.data.result.isOk) {
    throw new Error(`motion ${call.method.section}.${call.method.method} did not execute: ${closed.names.join(', ')} ${JSON.stringify(executed?.data.result.toJSON())}`);
  }
  await sendOk(api, api.tx.council.releaseProposalCost(motion.hash), a);
  return closed;
}
