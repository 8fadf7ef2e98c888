/**
 * Fetches and caches other parties' published JWKS (the registry trusts the
 * issuers' keys; the authority checks answers). A cached set is served until
 * `maxAge`, and while its refetch is under way; an unknown key id triggers at
 * most one refetch per `refetchAfter` so a flood of forged key ids cannot
 * hammer an issuer. A fetch that fails
 * before any answer (a dropped connection, a refused one) is tried once more
 * at once; an issuer's own error answer is not.
 */
import type { Clock } from "./clock.js";
import { parseJwks, type Jwks } from "./keys.js";

export interface JwksSource {
  id: string;
  url: string;
}

export interface JwksStatus {
  id: string;
  url: string;
  keys: number;
  fetchedAt: number | null;
  error: string | null;
}

interface Entry {
  jwks: Jwks | null;
  fetchedAt: number | null;
  attemptedAt: number;
  error: string | null;
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly sources: readonly JwksSource[],
    private readonly clock: Clock,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly maxAge = 5 * 60_000,
    private readonly refetchAfter = 30_000,
  ) {}

  /** Every source's keys, fetching those missing or stale. Unreachable sources are left out. */
  async trustList(): Promise<Record<string, Jwks>> {
    await Promise.all(this.sources.map((s) => this.ensure(s, false)));
    const out: Record<string, Jwks> = {};
    for (const s of this.sources) {
      const jwks = this.entries.get(s.id)?.jwks;
      if (jwks) out[s.id] = jwks;
    }
    return out;
  }

  /** Whether `id` is one of the configured sources (trusted, whether or not its keys could be fetched). */
  has(id: string): boolean {
    return this.sources.some((s) => s.id === id);
  }

  /** Called when a key id is unknown: refetch that source unless it was tried recently. */
  async refresh(id: string): Promise<boolean> {
    const source = this.sources.find((s) => s.id === id);
    if (!source) return false;
    const entry = this.entries.get(id);
    if (entry && this.clock.now() - entry.attemptedAt < this.refetchAfter) return false;
    await this.ensure(source, true);
    return true;
  }

  status(): JwksStatus[] {
    return this.sources.map((s) => {
      const e = this.entries.get(s.id);
      return { id: s.id, url: s.url, keys: e?.jwks?.keys.length ?? 0, fetchedAt: e?.fetchedAt ?? null, error: e?.error ?? null };
    });
  }

  private ensure(source: JwksSource, force: boolean): Promise<void> {
    const e = this.entries.get(source.id);
    const now = this.clock.now();
    const fresh = e?.fetchedAt != null && now - e.fetchedAt < this.maxAge;
    const triedRecently = e != null && now - e.attemptedAt < this.refetchAfter;
    if (!force && (fresh || triedRecently)) return Promise.resolve();
    let pending = this.inFlight.get(source.id);
    // Past maxAge one request refetches; the others keep the held keys meanwhile rather
    // than queue behind the issuer's answer (or its outage). A new key id still waits (force).
    if (pending && !force && e?.jwks) return Promise.resolve();
    if (!pending) {
      pending = this.load(source).finally(() => this.inFlight.delete(source.id));
      this.inFlight.set(source.id, pending);
    }
    return pending;
  }

  private async load(source: JwksSource): Promise<void> {
    const previous = this.entries.get(source.id);
    const attemptedAt = this.clock.now();
    const get = () => this.fetcher(source.url, { headers: { accept: "application/json" } });
    try {
      const res = await get().catch(get);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const jwks = parseJwks(await res.json());
      if (!jwks) throw new Error("not a valid JWKS");
      this.entries.set(source.id, { jwks, fetchedAt: attemptedAt, attemptedAt, error: null });
    } catch (err) {
      // Keep serving the last good keys: an issuer outage must not stop scans.
      this.entries.set(source.id, {
        jwks: previous?.jwks ?? null,
        fetchedAt: previous?.fetchedAt ?? null,
        attemptedAt,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
