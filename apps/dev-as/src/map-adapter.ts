/**
 * An oidc-provider storage adapter on a plain Map with expiry. The provider's
 * own development adapter keeps only the last 1000 records (an LRU), which
 * silently deactivates older tokens once a benchmark has issued more.
 */
type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

const stores = new Map<string, Map<string, { payload: Payload; expiresAt: number }>>();
const grants = new Map<string, Set<string>>();

export class MapAdapter {
  private readonly store: Map<string, { payload: Payload; expiresAt: number }>;

  constructor(private readonly model: string) {
    let store = stores.get(model);
    if (!store) stores.set(model, store = new Map());
    this.store = store;
  }

  private key(id: string) { return `${this.model}:${id}`; }

  async upsert(id: string, payload: Payload, expiresIn: number): Promise<void> {
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      let set = grants.get(payload.grantId);
      if (!set) grants.set(payload.grantId, set = new Set());
      set.add(this.key(id));
    }
  }

  /** the `jti` of a JWT access token this AS issued (signature checked), when jwt-token-registry is on */
  static structuredTokenId: ((value: string) => Promise<string | undefined>) | undefined;

  async find(value: string): Promise<Payload | undefined> {
    let id = value;
    if (MapAdapter.structuredTokenId && this.model === 'ClientCredentials' && value.split('.').length === 3) {
      const jti = await MapAdapter.structuredTokenId(value);
      if (jti === undefined) return undefined;
      id = jti;
    }
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) { this.store.delete(id); return undefined; }
    return entry.payload;
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if (e.payload.userCode === userCode) return this.find(id);
    return undefined;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if (e.payload.uid === uid) return this.find(id);
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> { this.store.delete(id); }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of grants.get(grantId) ?? []) {
      const sep = key.indexOf(':');
      stores.get(key.slice(0, sep))?.delete(key.slice(sep + 1));
    }
    grants.delete(grantId);
  }
}
