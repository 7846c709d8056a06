/**
 * The files of a testnet directory. Everything a testnet needs lives under
 * one folder, with paths relative to it in every file it writes, so that the
 * folder can be moved and started again.
 *
 *   <dir>/plan.json                   the options it was created with (to resume as it was)
 *   <dir>/genesis.json                the genesis of the network
 *   <dir>/testnet.json                endpoints and pids of the running validators, account key files
 *   <dir>/validator-<i>/key.json      the validator's key file (genesis/keyfile.ts)
 *   <dir>/validator-<i>/config.json   its node configuration (node/config.ts)
 *   <dir>/validator-<i>/data/         its database
 *   <dir>/validator-<i>/node.log      its stdout and stderr (JSON log lines)
 *   <dir>/accounts/account-<j>.json   the key files of the funded test accounts
 */
import { join, resolve } from 'node:path';

export interface ValidatorPaths {
  readonly name: string;
  readonly dir: string;
  readonly keyFile: string;
  readonly configFile: string;
  readonly dataDir: string;
  readonly logFile: string;
}

export class TestnetLayout {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get planFile(): string {
    return join(this.dir, 'plan.json');
  }

  get genesisFile(): string {
    return join(this.dir, 'genesis.json');
  }

  get testnetFile(): string {
    return join(this.dir, 'testnet.json');
  }

  get accountsDir(): string {
    return join(this.dir, 'accounts');
  }

  validator(index: number): ValidatorPaths {
    const name = `validator-${index}`;
    const dir = join(this.dir, name);
    return {
      name,
      dir,
      keyFile: join(dir, 'key.json'),
      configFile: join(dir, 'config.json'),
      dataDir: join(dir, 'data'),
      logFile: join(dir, 'node.log'),
    };
  }

  accountKeyFile(index: number): string {
    return join(this.accountsDir, `account-${index}.json`);
  }
}
