/**
 * Key files (docs/genesis.md, Key files): one JSON file per validator or user
 * account, mode 0600, holding
 *   - the ed25519 seed and public key (consensus and transaction signatures;
 *     the sidechain address is the first 20 bytes of SHA-256 of the public key),
 *   - a secp256k1 secret and its Ethereum address (the bridge key of a
 *     validator: checkpoints are EIP-712 signatures that Ethereum's ecrecover checks).
 * Reading checks that the public parts match the secrets, so a hand-edited
 * file cannot pair one key with another's address.
 */
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressFromPublicKey } from '../core/address.js';
import { equalBytes, fromHex, toHex } from '../core/bytes.js';
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from '../core/ed25519.js';
import {
  ethAddressFromSecret,
  generateSecp256k1Secret,
  isValidSecp256k1Secret,
  parseEthAddress,
  toChecksumAddress,
} from './eth-address.js';
import { KeyFileError } from './errors.js';

export const KEY_FILE_VERSION = 1;
export const KEY_FILE_TYPE = 'hotshard-key';

export interface ValidatorKeys {
  readonly ed25519: Ed25519KeyPair;
  readonly secp256k1: { readonly secret: Uint8Array; readonly ethAddress: Uint8Array };
  /** The sidechain account address of the ed25519 key. */
  readonly address: Uint8Array;
}

/** What may be shown and shared: no secret. */
export interface PublicKeys {
  readonly publicKey: Uint8Array;
  readonly ethAddress: Uint8Array;
  readonly address: Uint8Array;
}

export function generateValidatorKeys(): ValidatorKeys {
  return validatorKeysFromSecrets(generateKeyPair().seed, generateSecp256k1Secret());
}

export function validatorKeysFromSecrets(
  ed25519Seed: Uint8Array,
  secp256k1Secret: Uint8Array,
): ValidatorKeys {
  if (!isValidSecp256k1Secret(secp256k1Secret))
    throw new KeyFileError('BAD_FORMAT', 'the secp256k1 secret is not a valid private key');
  const ed25519 = keyPairFromSeed(ed25519Seed);
  return {
    ed25519,
    secp256k1: { secret: new Uint8Array(secp256k1Secret), ethAddress: ethAddressFromSecret(secp256k1Secret) },
    address: addressFromPublicKey(ed25519.publicKey),
  };
}

export function publicKeysOf(keys: ValidatorKeys): PublicKeys {
  return { publicKey: keys.ed25519.publicKey, ethAddress: keys.secp256k1.ethAddress, address: keys.address };
}

export const PUBLIC_KEY_FILE_TYPE = 'hotshard-public-key';

/** The shareable JSON of a key (what `hotshard keys show --json` prints; `genesis create` reads it like a key file). */
export function publicKeysToJson(p: PublicKeys): {
  version: number;
  type: string;
  address: string;
  publicKey: string;
  ethAddress: string;
} {
  return {
    version: KEY_FILE_VERSION,
    type: PUBLIC_KEY_FILE_TYPE,
    address: '0x' + toHex(p.address),
    publicKey: '0x' + toHex(p.publicKey),
    ethAddress: toChecksumAddress(p.ethAddress),
  };
}

/** The file's JSON text. */
export function formatKeyFile(keys: ValidatorKeys): string {
  return (
    JSON.stringify(
      {
        version: KEY_FILE_VERSION,
        type: KEY_FILE_TYPE,
        address: '0x' + toHex(keys.address),
        ed25519: { seed: '0x' + toHex(keys.ed25519.seed), publicKey: '0x' + toHex(keys.ed25519.publicKey) },
        secp256k1: {
          secret: '0x' + toHex(keys.secp256k1.secret),
          ethAddress: toChecksumAddress(keys.secp256k1.ethAddress),
        },
      },
      null,
      2,
    ) + '\n'
  );
}

function field(o: unknown, k: string, path: string): unknown {
  if (typeof o !== 'object' || o === null || !(k in o))
    throw new KeyFileError('BAD_FORMAT', `${path}: missing field ${k}`, { path });
  return (o as Record<string, unknown>)[k];
}

function hexField(o: unknown, k: string, bytes: number, path: string): Uint8Array {
  const v = field(o, k, path);
  if (typeof v !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${2 * bytes}}$`).test(v)) {
    throw new KeyFileError('BAD_FORMAT', `${path}: ${k} must be 0x and ${2 * bytes} hex digits`, { path });
  }
  return fromHex(v);
}

/** JSON.parse with an error that names the file. */
function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KeyFileError(
      'BAD_JSON',
      `${path}: not valid JSON: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

/** Parses key file text and checks that every public part matches its secret. `path` only labels errors. */
export function parseKeyFile(text: string, path = '<key file>'): ValidatorKeys {
  const v = parseJson(text, path);
  if (field(v, 'type', path) !== KEY_FILE_TYPE)
    throw new KeyFileError(
      'BAD_FORMAT',
      `${path}: not a hotshard key file (type must be "${KEY_FILE_TYPE}")`,
      { path },
    );
  const version = field(v, 'version', path);
  if (version !== KEY_FILE_VERSION)
    throw new KeyFileError(
      'VERSION',
      `${path}: key file version ${String(version)} is not supported (expected ${KEY_FILE_VERSION})`,
      { path },
    );
  const ed = field(v, 'ed25519', path);
  const secp = field(v, 'secp256k1', path);
  const secret = hexField(secp, 'secret', 32, path);
  if (!isValidSecp256k1Secret(secret))
    throw new KeyFileError('BAD_FORMAT', `${path}: secp256k1.secret is not a valid private key`, { path });
  const keys = validatorKeysFromSecrets(hexField(ed, 'seed', 32, path), secret);
  if (!equalBytes(keys.ed25519.publicKey, hexField(ed, 'publicKey', 32, path))) {
    throw new KeyFileError('MISMATCH', `${path}: ed25519.publicKey does not belong to ed25519.seed`, {
      path,
    });
  }
  const eth = field(secp, 'ethAddress', path);
  const parsed = typeof eth === 'string' ? parseEthAddress(eth) : null;
  if (parsed === null || !parsed.ok || !equalBytes(parsed.address, keys.secp256k1.ethAddress)) {
    throw new KeyFileError('MISMATCH', `${path}: secp256k1.ethAddress does not belong to secp256k1.secret`, {
      path,
    });
  }
  if (!equalBytes(hexField(v, 'address', 20, path), keys.address)) {
    throw new KeyFileError('MISMATCH', `${path}: address is not the address of ed25519.publicKey`, { path });
  }
  return keys;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
    throw new KeyFileError(
      code,
      `cannot read key file ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

export function readKeyFile(path: string): ValidatorKeys {
  return parseKeyFile(readText(path), path);
}

/**
 * The public keys in a key file or in a public key file (`hotshard keys show
 * --json`): what a genesis needs from each validator, no secret required.
 */
export function parsePublicKeys(text: string, path = '<key file>'): PublicKeys {
  const v = parseJson(text, path);
  if (
    typeof v === 'object' &&
    v !== null &&
    (v as Record<string, unknown>)['type'] === PUBLIC_KEY_FILE_TYPE
  ) {
    if ((v as Record<string, unknown>)['version'] !== KEY_FILE_VERSION) {
      throw new KeyFileError('VERSION', `${path}: public key file version is not ${KEY_FILE_VERSION}`, {
        path,
      });
    }
    const publicKey = hexField(v, 'publicKey', 32, path);
    const eth = field(v, 'ethAddress', path);
    const parsed = typeof eth === 'string' ? parseEthAddress(eth) : null;
    if (parsed === null || !parsed.ok)
      throw new KeyFileError(
        'BAD_FORMAT',
        `${path}: ethAddress is not a valid (checksummed) Ethereum address`,
        { path },
      );
    const address = addressFromPublicKey(publicKey);
    if (!equalBytes(hexField(v, 'address', 20, path), address)) {
      throw new KeyFileError('MISMATCH', `${path}: address is not the address of publicKey`, { path });
    }
    return { publicKey, ethAddress: parsed.address, address };
  }
  return publicKeysOf(parseKeyFile(text, path));
}

export function readPublicKeys(path: string): PublicKeys {
  return parsePublicKeys(readText(path), path);
}

/**
 * Writes a key file readable by its owner only (mode 0600). Refuses to
 * replace an existing file unless `overwrite` is set: a lost key cannot be
 * recovered.
 */
export function writeKeyFile(path: string, keys: ValidatorKeys, options: { overwrite?: boolean } = {}): void {
  try {
    writeFileSync(path, formatKeyFile(keys), { mode: 0o600, flag: options.overwrite === true ? 'w' : 'wx' });
    chmodSync(path, 0o600); // an overwritten file keeps its old mode otherwise
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST')
      throw new KeyFileError('EXISTS', `${path} exists; choose another path or pass --force to replace it`, {
        path,
      });
    throw new KeyFileError('IO', `cannot write key file ${path}: ${e.message}`, { path }, { cause: err });
  }
}

/**
 * Expands paths to key files: a directory means every `*.json` in it, sorted
 * by name (the order of the validators in the committees); a file is itself.
 */
export function listKeyFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new KeyFileError('NOT_FOUND', `${p}: no such file or directory`, { path: p });
    if (statSync(p).isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(p, f));
      if (files.length === 0)
        throw new KeyFileError('NOT_FOUND', `${p}: the directory holds no *.json key files`, { path: p });
      out.push(...files);
    } else out.push(p);
  }
  return out;
}
