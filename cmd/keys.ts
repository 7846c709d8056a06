/**
 * `hotshard keys`: validator and account key files (docs/genesis.md, Key files).
 *
 *   hotshard keys generate --out FILE [--force] [--json]
 *   hotshard keys show FILE [--json]
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type Command } from './command.js';
import {
  generateValidatorKeys,
  publicKeysOf,
  publicKeysToJson,
  readPublicKeys,
  writeKeyFile,
} from '../genesis/keyfile.js';

const help = `Usage:
  hotshard keys generate --out FILE [--force] [--json]
  hotshard keys show FILE [--json]

generate  Writes a new key file (mode 0600): an ed25519 key (consensus and
          transactions; its address is the account address) and a secp256k1
          key (the bridge key; its Ethereum address signs checkpoints).
          The same file serves a validator or a user account.
show      Prints the public parts of a key file: address, ed25519 public key,
          Ethereum address. Never prints a secret. With --json the output is a
          public key file that \`hotshard genesis create --validators\` accepts.

Options:
  --out FILE   where to write the new key file (generate)
  --force      replace FILE if it exists (the old key is lost)
  --json       print JSON instead of text
  -h, --help   this help`;

/** parseArgs with its errors turned into UsageError (printed without a stack trace). */
function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see hotshard keys --help)`);
  }
}

function print(file: string | undefined, p: ReturnType<typeof publicKeysToJson>, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(file === undefined ? p : { ...p, file }, null, 2));
    return;
  }
  if (file !== undefined) console.log(`key file:     ${file}`);
  console.log(`address:      ${p.address}`);
  console.log(`public key:   ${p.publicKey}`);
  console.log(`eth address:  ${p.ethAddress}`);
}

const command: Command = {
  name: 'keys',
  summary: 'Generate and inspect validator and account key files',
  help,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'generate') {
      const { values, positionals } = parse(rest, {
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      });
      if (positionals.length > 0)
        throw new UsageError(
          `keys generate takes no positional arguments (got ${positionals.join(' ')}); use --out FILE`,
        );
      if (values.out === undefined)
        throw new UsageError('keys generate needs --out FILE: where to write the key file');
      const keys = generateValidatorKeys();
      writeKeyFile(values.out, keys, { overwrite: values.force });
      print(values.out, publicKeysToJson(publicKeysOf(keys)), values.json);
      return 0;
    }
    if (sub === 'show') {
      const { values, positionals } = parse(rest, { json: { type: 'boolean', default: false } });
      if (positionals.length !== 1)
        throw new UsageError('keys show needs exactly one key file: hotshard keys show FILE');
      const file = positionals[0]!;
      // A full key file is checked (public parts against secrets); a public key file is read as is.
      print(values.json ? undefined : file, publicKeysToJson(readPublicKeys(file)), values.json);
      return 0;
    }
    throw new UsageError(
      sub === undefined
        ? 'keys needs a subcommand: generate or show (see hotshard keys --help)'
        : `unknown keys subcommand "${sub}": use generate or show`,
    );
  },
};

export default command;
