/**
 * The method registry: each method has a name, typed params, a handler and
 * whether it is a submission (rate-limited per client). The integration step
 * registers the node's methods (hs_sendTransaction, hs_getAccount, ...);
 * `rpc_methods` is built in and lists them.
 */
import type { ParamsSchema } from './params.js';
import { params } from './params.js';
import { RpcServerError } from './errors.js';

export interface RpcCallContext {
  /** Remote address of the HTTP client (the rate-limit key). */
  readonly client: string;
}

export interface MethodSpec<P extends readonly unknown[]> {
  readonly params: ParamsSchema<P>;
  readonly handler: (params: P, ctx: RpcCallContext) => unknown | Promise<unknown>;
  /** Submissions cost a token of the client's bucket (RpcServerOptions.submissionRate). */
  readonly rateLimited?: boolean;
  readonly description: string;
}

export interface RegisteredMethod {
  readonly name: string;
  readonly spec: MethodSpec<readonly unknown[]>;
}

const NAME_RE = /^[a-z][a-z0-9]*_[A-Za-z][A-Za-z0-9]*$/;

export class RpcRegistry {
  private readonly methods = new Map<string, RegisteredMethod>();

  constructor() {
    this.register('rpc_methods', {
      params: params(),
      description: 'Lists the methods of this node with their params.',
      handler: () => this.list(),
    });
  }

  /** Registers `name` (namespace_method, e.g. hs_getAccount). A name registers once. */
  register<P extends readonly unknown[]>(name: string, spec: MethodSpec<P>): void {
    if (!NAME_RE.test(name))
      throw new RpcServerError('BAD_METHOD_NAME', `method name ${name} is not namespace_method`);
    if (this.methods.has(name))
      throw new RpcServerError('DUPLICATE_METHOD', `method ${name} is already registered`);
    this.methods.set(name, { name, spec: spec as unknown as MethodSpec<readonly unknown[]> });
  }

  get(name: string): RegisteredMethod | undefined {
    return this.methods.get(name);
  }

  /** The methods, sorted by name, with their params and whether they are rate-limited. */
  list(): { name: string; params: readonly string[]; rateLimited: boolean; description: string }[] {
    return [...this.methods.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => ({
        name: m.name,
        params: m.spec.params.describe,
        rateLimited: m.spec.rateLimited === true,
        description: m.spec.description,
      }));
  }
}
