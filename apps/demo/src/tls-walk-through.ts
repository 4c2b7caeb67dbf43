export interface TlsDemoFacts {
  /** the temp folder with the development CA, certificates, keys and configs */
  dir: string;
  asUrl: string;
  edgeUrl: string;
  edgePort: number;
  ordersPort: number;
  /** the DPoP proof helper (dpop-proof.js) */
  proofScript: string;
}

const ACCESS_TOKEN = `node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token'`;

/** The `--tls` demo's walk-through: bash, one command per line (the e2e test runs these very lines). */
export function tlsWalkThrough(f: TlsDemoFacts): string {
  const p = f.edgePort;
  return `
Phantom Gateway TLS demo is running. Development CA, certificates, keys and configs: ${f.dir}
  CA certificate        ${f.dir}/phantom-dev-ca.pem
  Authorization Server  ${f.asUrl}                  (clients: demo-app / demo-secret, bound-app / bound-secret)
  Edge gateway          https://api.phantom.test:${p}  https://shop.phantom.test:${p}  (both 127.0.0.1; ${f.edgeUrl})
  Micro gateways        https://127.0.0.1:${f.ordersPort} (orders) …  mutual TLS: only the edge's certificate (spiffe://phantom.demo/edge) gets in

Walk-through (bash, copy-paste into another terminal):
  DIR=${f.dir}
  TLS="--cacert $DIR/phantom-dev-ca.pem --resolve api.phantom.test:${p}:127.0.0.1 --resolve shop.phantom.test:${p}:127.0.0.1"
  API=https://api.phantom.test:${p}
  TOKEN=$(curl -s -u demo-app:demo-secret -d grant_type=client_credentials -d 'scope=orders:read inventory:read' ${f.asUrl}/token | ${ACCESS_TOKEN})
  echo "$TOKEN"          # opaque: nothing to read in it

  # 1. HTTPS at the edge, verified against the development CA; the request then crosses mutual TLS to the orders micro gateway
  curl -s $TLS -H "Authorization: Bearer $TOKEN" $API/orders/42

  # 2. SNI: each name gets its own certificate
  curl -sv $TLS -o /dev/null https://shop.phantom.test:${p}/inventory/1 2>&1 | grep 'subject:'
  curl -sv $TLS -o /dev/null $API/orders/1 2>&1 | grep 'subject:'

  # 3. mutual TLS inside: without a client certificate the micro gateway refuses the handshake; another identity from the same CA gets 403
  curl -s --cacert $DIR/phantom-dev-ca.pem https://127.0.0.1:${f.ordersPort}/orders/1; echo "curl exit code $?"
  curl -s --cacert $DIR/phantom-dev-ca.pem --cert $DIR/intruder.pem --key $DIR/intruder.key https://127.0.0.1:${f.ordersPort}/orders/1

  # 4. a certificate-bound token (RFC 8705): bound to alice's certificate (the dev AS reads it from a header, as behind a TLS proxy)
  BOUND=$(curl -s -u bound-app:bound-secret -H "x-dev-client-cert: $(node -p 'encodeURIComponent(require("fs").readFileSync(process.argv[1], "utf8"))' $DIR/alice.pem)" -d grant_type=client_credentials -d scope=orders:read ${f.asUrl}/token | ${ACCESS_TOKEN})
  curl -s $TLS --cert $DIR/alice.pem --key $DIR/alice.key -H "Authorization: Bearer $BOUND" $API/orders/pop/1
  curl -s $TLS -H "Authorization: Bearer $BOUND" $API/orders/pop/1
  curl -s $TLS -H "Authorization: Bearer $TOKEN" $API/orders/pop/1
  #    with alice's certificate: 200, the JWT carries cnf and sender_constraint "mtls"; without: 401 invalid_token;
  #    an unbound token on /orders/pop (requireSenderConstraint at the micro gateway): 403 sender_constraint_required

  # 5. DPoP (RFC 9449): proofs signed with $DIR/dpop-key.json, one for the token request, one per call
  PROOF="node ${f.proofScript} --key $DIR/dpop-key.json"
  DTOKEN=$(curl -s -u demo-app:demo-secret -H "DPoP: $($PROOF --htm POST --htu ${f.asUrl}/token)" -d grant_type=client_credentials -d scope=orders:read ${f.asUrl}/token | ${ACCESS_TOKEN})
  P=$($PROOF --htm GET --htu $API/orders/pop/7 --token $DTOKEN)
  curl -s $TLS -H "Authorization: DPoP $DTOKEN" -H "DPoP: $P" $API/orders/pop/7
  curl -s $TLS -H "Authorization: DPoP $DTOKEN" -H "DPoP: $P" $API/orders/pop/7
  #    200 with sender_constraint "dpop"; the same proof again: 401 invalid_dpop_proof (replayed)

  # 6. WebSocket: wss://api.phantom.test:${p}/orders/live/… (Authorization: Bearer $TOKEN) is tunnelled through mutual TLS to an echo backend

Press Ctrl-C to stop every process.
`;
}
