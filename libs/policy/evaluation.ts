/**
 * The OpenID AuthZEN Authorization API 1.0 evaluation request (§6.1): the
 * four entities a PEP sends. OPA receives the same document as its `input`.
 */
export interface AuthzenEvaluation {
  subject: { type: string; id: string; properties?: Record<string, unknown> };
  action: { name: string; properties?: Record<string, unknown> };
  resource: { type: string; id: string; properties?: Record<string, unknown> };
  context?: Record<string, unknown>;
}

/** A PDP's answer, as both adapters report it. */
export interface Decision {
  readonly decision: boolean;
  /** which PDP kind decided (for logs and the decision header) */
  readonly by: 'authzen' | 'opa';
}

/** Asks one PDP. Rejects with a PdpFailure when there is no usable answer. */
export type PdpClient = (evaluation: AuthzenEvaluation, requestId?: string) => Promise<Decision>;
