// Helpers shared by the @polkadot/api end-to-end tests.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

export const WS = process.env.KILN_WS ?? 'ws://127.0.0.1:9944';
export const KILN = 10n ** 12n;

export async function connect() {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const api = await ApiPromise.create({ provider: new WsProvider(WS), noInitWarn: true, throwOnConnect: true });
  return { api, keyring };
}

/// Signs and sends `tx`, resolves once it is in a block with { blockHash, events, error }
/// where `error` is "Pallet.Error" when the call failed (the transaction itself was included).
/// `options` may fix the nonce, to send several transactions into one block.
export function send(api, tx, signer, options = {}) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, options, ({ status, events, dispatchError }) => {
      if (status.isInBlock) {
        let error = null;
        if (dispatchError) {
          if (dispatchError.isModule) {
            const meta = api.registry.findMetaError(dispatchError.asModule);
            error = `${meta.section}.${meta.name}`;
          } else {
            error = dispatchError.type; // e.g. "BadOrigin"
          }
        }
        resolve({ blockHash: status.asInBlock, events, error });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        reject(new Error(`not included: ${status.type}`));
      }
    }).catch(reject);
  });
}

/// Like `send`, but fails unless the call succeeded; returns the events as "section.Method".
export async function sendOk(api, tx, signer, options = {}) {
  const result = await send(api, tx, signer, options);
  if (result.error) throw new Error(`${tx.method.section}.${tx.method.method} failed: ${result.error}`);
  return { ...result, names: result.events.map(({ event }) => `${event.section}.${event.method}`) };
}

export async function bestNumber(api) {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

/// Resolves when the best block reaches `number`.
export async function waitForBlock(api, number) {
  return new Promise((resolve, reject) => {
    api.rpc.chain.subscribeNewHeads((header) => {
      if (header.number.toNumber() >= number) resolve(header.number.toNumber());
    }).then((unsubscribe) => {
      const done = () => unsubscribe();
      setTimeout(() => { done(); reject(new Error(`block ${number} not reached in time`)); }, 120_000).unref();
    }).catch(reject);
  });
}

/// The finalized block's number.
export async function finalizedNumber(api) {
  const head = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(head)).number.toNumber();
}

/// Polls `predicate` every second until it holds; throws after `seconds`.
export async function waitFor(what, predicate, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}
