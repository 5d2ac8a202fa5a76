// Driven by tests/e2e/testnet-governance.sh on the four-validator local testnet with 1-minute
// sessions and Eve's node running beside it (docs/governance.md §3):
//   1. Eve generates session keys on her node (author_rotateKeysWithOwner) and registers them;
//   2. a Council motion adds her; she is in the set from the session after next and authors;
//   3. a Council motion removes Dave; he leaves the set and authors no more blocks;
//   finality advances throughout.
import assert from 'node:assert/strict';
import { WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { connect, sendOk, waitForBlock, waitFor, bestNumber } from './chain.mjs';
import { pass } from './council.mjs';

const started = Date.now();
const log = (...args) => console.log(`[${Math.round((Date.now() - started) / 1000)}s]`, ...args);

const { api, keyring } = await connect();
const [alice, bob, charlie, dave, eve] = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve']
  .map((uri) => keyring.addFromUri(uri));
const name = Object.fromEntries(
  [[alice, 'alice'], [bob, 'bob'], [charlie, 'charlie'], [dave, 'dave'], [eve, 'eve']].map(([k, n]) => [k.address, n]));

// Every block's author (BABE pre-digest, mapped through the session's validators) and the
// finalized height, as they come.
const authors = [];
await api.derive.chain.subscribeNewHeads((header) => {
  authors.push({ number: header.number.toNumber(), author: header.author?.toString() });
});
let finalized = 0;
await api.rpc.chain.subscribeFinalizedHeads((header) => { finalized = header.number.toNumber(); });
const validators = async () => (await api.query.session.validators()).map((v) => v.toString());
const session = async () => (await api.query.session.currentIndex()).toNumber();

async function finalityAdvances(from) {
  await waitFor(`finality past #${from}`, async () => finalized > from, 120);
}

try {
  // 1. Eve's keys, generated in her node's keystore with the proof that she owns them.
  const eveNode = new WsProvider(process.env.KILN_EVE_WS);
  await eveNode.isReady;
  const generated = await eveNode.send('author_rotateKeysWithOwner', [u8aToHex(eve.publicKey)]);
  assert.ok(generated.proof, 'the node returns a proof of ownership');
  await sendOk(api, api.tx.session.setKeys(generated.keys, generated.proof), eve);
  await eveNode.disconnect();
  log('eve registered her session keys');

  // 2. The Council seats her.
  const addedIn = await session();
  await pass(api, api.tx.governance.addValidator(eve.address), alice, bob);
  log(`council motion passed: addValidator(eve) in session ${addedIn}`);
  assert.ok(!(await validators()).includes(eve.address));
  await waitFor('eve in the session validators', async () => (await validators()).includes(eve.address), 300);
  const joinedIn = await session();
  const joinedAt = await bestNumber(api);
  log(`eve validates from session ${joinedIn} (#${joinedAt})`);
  // Queued when session addedIn + 1 starts, validating from addedIn + 2 (one more if the
  // motion closed across a session change).
  assert.ok(joinedIn >= addedIn + 2 && joinedIn <= addedIn + 3, `joined in ${joinedIn}, added in ${addedIn}`);
  await waitFor('a block authored by eve', async () =>
    authors.some((a) => a.author === eve.address && a.number >= joinedAt), 180);
  const eveBlock = authors.find((a) => a.author === eve.address && a.number >= joinedAt);
  log(`eve authored #${eveBlock.number}`);
  await finalityAdvances(eveBlock.number);
  log(`finalized #${finalized}`);

  // 3. The Council removes Dave.
  const removedIn = await session();
  await pass(api, api.tx.governance.removeValidator(dave.address), alice, bob);
  log(`council motion passed: removeValidator(dave) in session ${removedIn}`);
  await waitFor('dave out of the session validators', async () => !(await validators()).includes(dave.address), 300);
  const leftAt = await bestNumber(api);
  log(`dave left the set in session ${await session()} (#${leftAt})`);
  await waitForBlock(api, leftAt + 20);
  const after = authors.filter((a) => a.number > leftAt);
  assert.ok(after.length >= 15, `saw ${after.length} blocks after #${leftAt}`);
  assert.ok(!after.some((a) => a.author === dave.address), `dave authored after leaving: ${JSON.stringify(after)}`);
  const counts = {};
  for (const a of after) counts[name[a.author] ?? a.author] = (counts[name[a.author] ?? a.author] ?? 0) + 1;
  log(`authors of #${leftAt + 1}..: ${JSON.stringify(counts)}`);
  await finalityAdvances(leftAt + 10);
  log(`finalized #${finalized}; validators: ${(await validators()).map((v) => name[v] ?? v).join(', ')}`);
} finally {
  await api.disconnect();
}
