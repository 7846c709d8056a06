/**
 * Writes test/vectors/merkle-rfc6962.json from core/merkle.ts: trees of 1 to 17 leaves, the root of each and
 * the RFC 9162 inclusion proof of every leaf. The first 8 leaves are those of RFC 6962's reference tests
 * (certificate-transparency), so roots 1..8 are the published ones; the next 9 have lengths 0..40.
 * Both core/ (test/unit/bridge/merkle-vectors.test.ts) and the Solidity verifier
 * (test/e2e/bridge-merkle.test.ts) must agree with the file.
 *
 *   node --loader ts-node/esm test/support/gen-merkle-vectors.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EMPTY_ROOT, hashLeaf, inclusionProof, rootFromLeafHashes } from '../../core/merkle.js';
import { toHex } from '../../core/bytes.js';
import { RFC6962_REFERENCE_LEAVES_HEX } from './rfc6962-published-roots.js';

export const MERKLE_VECTORS_PATH = new URL('../vectors/merkle-rfc6962.json', import.meta.url);

const MAX_SIZE = 17;

export function generateMerkleVectors(): unknown {
  const leaves = [...RFC6962_REFERENCE_LEAVES_HEX];
  for (let i = leaves.length; i < MAX_SIZE; i++) {
    const len = (i * 5) % 41;
    leaves.push(Buffer.from(Array.from({ length: len }, (_, j) => (i * 31 + j * 7) & 0xff)).toString('hex'));
  }
  const leafBytes = leaves.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  const leafHashes = leafBytes.map(hashLeaf);
  const hex = (b: Uint8Array): string => '0x' + toHex(b);
  const trees = [];
  for (let size = 1; size <= MAX_SIZE; size++) {
    const hashes = leafHashes.slice(0, size);
    trees.push({
      size,
      root: hex(rootFromLeafHashes(hashes)),
      proofs: hashes.map((_, index) => ({ index, path: inclusionProof(hashes, index).map(hex) })),
    });
  }
  return {
    description:
      'RFC 6962 Merkle Tree Hash over SHA-256 (leaf = sha256(0x00 || leaf), node = sha256(0x01 || left || right)) and RFC 9162 inclusion proofs, for trees of 1..17 leaves and every leaf index. Generated from core/merkle.ts by test/support/gen-merkle-vectors.ts; leaves 0..7 are the RFC 6962 reference leaves.',
    leafPrefix: '0x00',
    nodePrefix: '0x01',
    emptyRoot: hex(EMPTY_ROOT),
    leaves: leaves.map((h) => '0x' + h),
    leafHashes: leafHashes.map(hex),
    trees,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = JSON.stringify(generateMerkleVectors(), null, 1) + '\n';
  if (process.argv.includes('--check')) {
    const same = readFileSync(MERKLE_VECTORS_PATH, 'utf8') === text;
    console.log(
      same ? 'merkle-rfc6962.json is up to date' : 'merkle-rfc6962.json differs from core/merkle.ts',
    );
    process.exitCode = same ? 0 : 1;
  } else {
    writeFileSync(MERKLE_VECTORS_PATH, text);
    console.log(`wrote ${MERKLE_VECTORS_PATH.pathname}`);
  }
}
