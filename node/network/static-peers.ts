/**
 * Keeps the connections to the static peers of the configuration.
 *
 * If every node dialled every other at once, each pair would get two
 * connections (TOOLCHAIN.md). So of each pair only the node with the smaller
 * peer id dials at once ("dial only i < j"); the other waits `dialGraceMs`
 * and dials only if still unconnected (e.g. its peer does not list it).
 * After a disconnect the same rule applies, with an exponential back-off
 * between failed attempts. Banned peers are not dialled until the ban ends.
 */
import type { Libp2p } from 'libp2p';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import type { Logger } from '../logger.js';
import { NetworkError } from './errors.js';
import type { NetworkMetrics } from './metrics.js';
import type { StaticPeer } from './options.js';

interface Target {
  readonly peerId: string;
  readonly pid: PeerId;
  readonly addr: Multiaddr;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  dialing: boolean;
}

export interface StaticPeersDeps {
  readonly libp2p: Libp2p;
  readonly selfId: string;
  readonly minMs: number;
  readonly maxMs: number;
  readonly graceMs: number;
  readonly isBanned: (peerId: string) => boolean;
  readonly metrics: NetworkMetrics | null;
  readonly log: Logger;
}

/** Parses `/.../p2p/<peerId>`; throws BAD_OPTIONS when the peer id is missing. */
export function parseStaticPeer(p: StaticPeer): { peerId: string; addr: Multiaddr } {
  let addr: Multiaddr;
  try {
    addr = multiaddr(p.multiaddr);
  } catch (err) {
    throw new NetworkError(
      'BAD_OPTIONS',
      `static peer ${p.multiaddr} is not a multiaddr`,
      { multiaddr: p.multiaddr },
      { cause: err },
    );
  }
  const m = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)$/.exec(p.multiaddr);
  if (m === null)
    throw new NetworkError('BAD_OPTIONS', `static peer ${p.multiaddr} lacks /p2p/<peer id>`, {
      multiaddr: p.multiaddr,
    });
  return { peerId: m[1]!, addr };
}

export class StaticPeers {
  private readonly targets = new Map<string, Target>();
  private stopped = true;

  constructor(
    peers: readonly StaticPeer[],
    private readonly deps: StaticPeersDeps,
  ) {
    for (const p of peers) this.add(p);
  }

  /** Adds a static peer (also while running: it is dialled by the same rule). Returns its peer id. */
  add(p: StaticPeer): string {
    const { peerId, addr } = parseStaticPeer(p);
    if (peerId === this.deps.selfId || this.targets.has(peerId)) return peerId; // a shared peer list names the node itself too
    let pid: PeerId;
    try {
      pid = peerIdFromString(peerId);
    } catch (err) {
      throw new NetworkError(
        'BAD_OPTIONS',
        `static peer ${p.multiaddr} has a bad peer id`,
        {},
        { cause: err },
      );
    }
    const t: Target = { peerId, pid, addr, backoffMs: this.deps.minMs, timer: null, dialing: false };
    this.targets.set(peerId, t);
    if (!this.stopped) this.schedule(t, this.dialsFirst(t) ? 0 : this.deps.graceMs);
    return peerId;
  }

  /** Peer ids of the static peers. */
  peerIds(): string[] {
    return [...this.targets.keys()];
  }

  start(): void {
    this.stopped = false;
    for (const t of this.targets.values()) this.schedule(t, this.dialsFirst(t) ? 0 : this.deps.graceMs);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.targets.values()) {
      if (t.timer !== null) clearTimeout(t.timer);
      t.timer = null;
    }
  }

  onConnect(peerId: string): void {
    const t = this.targets.get(peerId);
    if (t === undefined) return;
    t.backoffMs = this.deps.minMs;
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = null;
  }

  onDisconnect(peerId: string): void {
    const t = this.targets.get(peerId);
    if (t === undefined || this.stopped) return;
    this.schedule(t, this.dialsFirst(t) ? t.backoffMs : this.deps.graceMs + t.backoffMs);
  }

  private dialsFirst(t: Target): boolean {
    return this.deps.selfId < t.peerId;
  }

  private connected(t: Target): boolean {
    return this.deps.libp2p.getConnections(t.pid).length > 0;
  }

  private schedule(t: Target, delayMs: number): void {
    if (this.stopped) return;
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      t.timer = null;
      void this.dial(t);
    }, delayMs);
    t.timer.unref?.();
  }

  private async dial(t: Target): Promise<void> {
    if (this.stopped || t.dialing || this.connected(t)) return;
    if (this.deps.isBanned(t.peerId)) {
      this.schedule(t, this.deps.maxMs);
      return;
    }
    t.dialing = true;
    try {
      await this.deps.libp2p.dial(t.addr, { signal: AbortSignal.timeout(10_000) });
      this.deps.metrics?.dials.inc({ result: 'ok' });
      t.backoffMs = this.deps.minMs;
    } catch (err) {
      this.deps.metrics?.dials.inc({ result: 'error' });
      this.deps.log.debug('static peer dial failed', {
        peerId: t.peerId,
        addr: t.addr.toString(),
        retryMs: t.backoffMs,
        err,
      });
      const delay = t.backoffMs;
      t.backoffMs = Math.min(t.backoffMs * 2, this.deps.maxMs);
      this.schedule(t, delay);
    } finally {
      t.dialing = false;
    }
  }
}
