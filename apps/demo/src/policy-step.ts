/**
 * The demo's policy decision: the development PDP (`phantom pdp`, OpenID
 * AuthZEN) with deploy/demo/pdp-rules.yaml, asked by the orders micro gateway
 * about GET /orders/reports/… (deploy/demo/micro-orders.yaml, route orders-reports).
 */
export const PDP_PORT = 8181;

/** the dev PDP's program arguments; `root` is the repository folder (ends with `/`) */
export function pdpArgs(root: string): string[] {
  return ['--port', String(PDP_PORT), '--rules', `${root}deploy/demo/pdp-rules.yaml`];
}

/** the walk-through step (numbered `n`): one request the PDP allows, one it denies */
export function policyWalkthrough(n: number, edgeUrl: string, pdpUrl: string): string {
  return `  # ${n}. a policy decision: the orders micro gateway asks the development PDP (${pdpUrl}, AuthZEN) about
  #    every GET /orders/reports/… — allowed (the backend sees X-Phantom-Policy: pdp:authzen), then denied (403)
  curl -s -H "Authorization: Bearer $TOKEN" ${edgeUrl}/orders/reports/daily | grep -i x-phantom-policy
  curl -s -H "Authorization: Bearer $TOKEN" ${edgeUrl}/orders/reports/payroll; echo
`;
}
