#!/usr/bin/env python3
"""Writes a chain spec: `kiln-node build-spec --chain dev` (read from stdin) with `count` more
accounts endowed, so that `benchmark storage` measures the database on a state of that many
keys rather than the dev chain's few hundred (a read or write costs more in a larger trie).

    kiln-node build-spec --chain dev | scripts/bench/big-state-spec.py 200000 > big.json
"""
import hashlib
import json
import sys

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(ALPHABET[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def ss58(public: bytes, prefix: int = 42) -> str:
    payload = bytes([prefix]) + public
    checksum = hashlib.blake2b(b"SS58PRE" + payload, digest_size=64).digest()[:2]
    return base58(payload + checksum)


def main() -> None:
    count = int(sys.argv[1])
    spec = json.load(sys.stdin)
    balances = spec["genesis"]["runtimeGenesis"]["patch"]["balances"]["balances"]
    for i in range(count):
        public = hashlib.blake2b(b"kiln-big-state" + i.to_bytes(8, "little"), digest_size=32).digest()
        balances.append([ss58(public), 10**12])
    spec["name"] = f"Kiln dev, {count} more accounts"
    json.dump(spec, sys.stdout)


if __name__ == "__main__":
    main()
