/**
 * deploy/k8s rendered by `kubectl kustomize` (when kubectl is on the PATH) and
 * the objects checked: probes, resources, securityContext, drain timing,
 * NetworkPolicies, JWKS URLs, one image tag, and every gateway ConfigMap run
 * through `phantom edge|micro --check` on a kubelet-style copy of the pod's volumes.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { tempDir } from '../support/topology.js';
import { runCli } from '../support/run-cli.js';
import { repoRoot } from '../support/production-install.js';
import { writeKubeletVolume } from '../support/kubelet-volume.js';

/** rendered objects, read loosely: the API server's schemas are not here */
type Obj = Record<string, any>;
type Labels = Record<string, string>;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const kustomize = Number(/Kustomize Version: v(\d+)/.exec(kubectl.stdout ?? '')?.[1] ?? 0);
const skip = kubectl.status !== 0 ? 'kubectl (with kustomize) not found on the PATH: the Kubernetes manifests were not rendered or checked'
  : kustomize < 5 ? `kubectl's kustomize is older than v5 (${kustomize || 'unknown'}): the Kubernetes manifests were not rendered or checked` : false;
if (skip) process.stdout.write(`# NOTE: ${skip}\n`);

function kustomizations(dir: string, rel = ''): string[] {
  const here = existsSync(join(dir, rel, 'kustomization.yaml')) ? [rel] : [];
  return [...here, ...readdirSync(join(dir, rel)).filter((n) => !n.startsWith('.') && statSync(join(dir, rel, n)).isDirectory()).flatMap((n) => kustomizations(dir, join(rel, n)))];
}
function render(dir: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `kubectl kustomize ${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}
const selects = (selector: Labels | undefined, labels: Labels) => !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Kubernetes manifests (kubectl kustomize)', { skip }, () => {
  let k8s: string;
  let objects: Obj[];
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployments = () => of('Deployment');
  const gatewayContainers = () => deployments().flatMap((d) => (d.spec.template.spec.containers as Obj[]).filter((c) => c.args?.[0] === 'edge' || c.args?.[0] === 'micro').map((c) => ({ d, c })));
  const podLabels = (d: Obj) => d.spec.template.metadata.labels as Labels;
  const configMapData = (name: string) => of('ConfigMap').find((m) => m.metadata.name === name)?.data as Record<string, string>;
  /** the gateway configuration a container reads (--config), parsed */
  function configOf(d: Obj, c: Obj): Obj {
    const path = c.args[c.args.indexOf('--config') + 1] as string;
    const mount = (c.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`))!;
    const volume = (d.spec.template.spec.volumes as Obj[]).find((v) => v.name === mount.name)!;
    return parse(configMapData(volume.configMap.name)[path.slice(mount.mountPath.length + 1)]!) as Obj;
  }
  const edge = () => gatewayContainers().find(({ c }) => c.args[0] === 'edge')!;
  const micros = () => gatewayContainers().filter(({ c }) => c.args[0] === 'micro');
  const portNamed = (c: Obj, name: string | number) => typeof name === 'number' ? name : (c.ports as Obj[]).find((p) => p.name === name)?.containerPort as number;

  before(() => {
    k8s = join(tempDir(), 'k8s');
    cpSync(join(repoRoot, 'deploy/k8s'), k8s, { recursive: true });
    // what the operator puts in example/secrets (never committed)
    writeFileSync(join(k8s, 'example/secrets/signing.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(k8s, 'example/secrets/as-client-secret'), 'a-client-secret');
    objects = render(join(k8s, 'example'));
  });

  test('every kustomization renders (bases, the micro unit, each domain, the example instance, monitoring)', () => {
    const all = kustomizations(k8s).sort();
    for (const expected of ['base/edge', 'base/micro', 'base/redis', 'domains/inventory', 'domains/orders', 'example', 'monitoring']) assert.ok(all.includes(expected), `${expected} missing from ${all.join(', ')}`);
    for (const k of all) assert.ok(render(join(k8s, k)).length > 0, k);
  });

  test('the example has the edge, Redis and one micro gateway per domain, each with Service, HPA and PDB', () => {
    assert.deepEqual(deployments().map((d) => d.metadata.name).sort(), ['phantom-edge', 'phantom-micro-inventory', 'phantom-micro-orders', 'phantom-redis']);
    for (const { d } of gatewayContainers()) {
      const labels = podLabels(d);
      assert.equal(of('Service').filter((s) => selects(s.spec.selector, labels)).length, 1, `${d.metadata.name}: one Service`);
      const hpa = of('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata.name);
      assert.ok(hpa && hpa.spec.minReplicas >= 2, `${d.metadata.name}: an HPA keeping at least 2 replicas`);
      assert.equal(d.spec.replicas, undefined, `${d.metadata.name}: replicas left to the HPA`);
      assert.equal(of('PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels, labels)).length, 1, `${d.metadata.name}: one PDB`);
      const spread = d.spec.template.spec.topologySpreadConstraints as Obj[];
      assert.ok(spread?.length >= 1 && spread.every((t) => selects(t.labelSelector.matchLabels, labels)), `${d.metadata.name}: topology spread over its own pods`);
      assert.equal(deployments().filter((o) => selects(d.spec.selector.matchLabels, podLabels(o))).length, 1, `${d.metadata.name}: its selector picks its own pods only`);
    }
    assert.ok(of('Secret').some((s) => s.metadata.name === 'phantom-edge-keys'));
  });

  test('every container: probes, resources, and runAsNonRoot, readOnlyRootFilesystem, drop ALL, seccomp RuntimeDefault', () => {
    for (const d of deployments()) {
      const pod = d.spec.template.spec as Obj;
      for (const c of pod.containers as Obj[]) {
        const name = `${d.metadata.name}/${c.name}`;
        assert.ok(c.livenessProbe && c.readinessProbe, `${name}: probes`);
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, `${name}: resources`);
        const sc = c.securityContext as Obj;
        assert.equal(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${name}: readOnlyRootFilesystem`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${name}: allowPrivilegeEscalation`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${name}: drop ALL`);
        assert.equal((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, 'RuntimeDefault', `${name}: seccomp`);
        assert.ok(Number(sc.runAsUser ?? pod.securityContext?.runAsUser) > 0, `${name}: a numeric non-root uid`);
      }
      assert.equal(pod.automountServiceAccountToken, false, `${d.metadata.name}: no API token`);
    }
  });

  test('gateways: liveness /healthz and readiness /readyz on the admin port, which is the configured admin.port', () => {
    assert.equal(gatewayContainers().length, 3);
    for (const { d, c } of gatewayContainers()) {
      const name = d.metadata.name as string;
      const config = configOf(d, c);
      const admin = config.admin?.port ?? 9901;
      assert.equal(config.admin?.host, '0.0.0.0', `${name}: the kubelet reaches the admin listener on the pod IP`);
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        assert.equal(c[probe].httpGet?.path, path, `${name}: ${probe}`);
        assert.equal(portNamed(c, c[probe].httpGet.port), admin, `${name}: ${probe} on the admin port`);
      }
      assert.equal(portNamed(c, 'http'), config.server.port, `${name}: the http port is server.port`);
    }
  });

  test('gateways share one image and one tag (not latest)', () => {
    const images = new Set(gatewayContainers().map(({ c }) => c.image as string));
    assert.equal(images.size, 1, [...images].join(', '));
    assert.match([...images][0]!, /:[\w.-]+$/);
    assert.doesNotMatch([...images][0]!, /:latest$/);
  });

  test('drain: preStop sleep + server.drainTimeoutMs < terminationGracePeriodSeconds', () => {
    for (const { d, c } of gatewayContainers()) {
      const sleep = c.lifecycle?.preStop?.exec?.command as string[] | undefined;
      assert.equal(sleep?.[0], 'sleep', `${d.metadata.name}: preStop sleeps while the endpoints drop the pod`);
      const drainMs = configOf(d, c).server.drainTimeoutMs ?? 10_000;
      assert.ok(Number(sleep![1]) + drainMs / 1000 < d.spec.template.spec.terminationGracePeriodSeconds, `${d.metadata.name}: ${sleep![1]} s + ${drainMs} ms ≥ grace`);
    }
  });

  test('every micro gateway fetches the JWKS from the edge Service and expects the edge issuer', () => {
    const { d: edgeDeployment, c: edgeContainer } = edge();
    const edgeConfig = configOf(edgeDeployment, edgeContainer);
    const service = of('Service').find((s) => selects(s.spec.selector, podLabels(edgeDeployment)))!;
    const ns = service.metadata.namespace as string;
    assert.equal(micros().length, 2);
    for (const { d, c } of micros()) {
      const config = configOf(d, c);
      const url = new URL(config.jwks.url);
      assert.ok([service.metadata.name, `${service.metadata.name}.${ns}`, `${service.metadata.name}.${ns}.svc`, `${service.metadata.name}.${ns}.svc.cluster.local`].includes(url.hostname), `${d.metadata.name}: ${url.hostname}`);
      const port = (service.spec.ports as Obj[]).find((p) => p.port === Number(url.port || 80));
      assert.ok(port, `${d.metadata.name}: the edge Service has no port ${url.port}`);
      assert.equal(portNamed(edgeContainer, port.targetPort), edgeConfig.server.port);
      assert.equal(url.pathname, '/.well-known/jwks.json');
      assert.equal(config.verification.issuer, edgeConfig.issuer);
    }
    // and the edge routes each audience to the Service of the micro gateway of that audience
    for (const route of edgeConfig.routes as Obj[]) {
      const url = new URL(route.upstream);
      const svc = of('Service').find((s) => s.metadata.name === url.hostname);
      assert.ok(svc, `route ${route.name}: no Service ${url.hostname}`);
      const target = micros().find(({ d }) => selects(svc.spec.selector, podLabels(d)));
      assert.ok(target, `route ${route.name}: ${url.hostname} selects no micro gateway`);
      assert.equal(configOf(target.d, target.c).audience, route.audience);
      assert.ok((svc.spec.ports as Obj[]).some((p) => p.port === Number(url.port)), `route ${route.name}: port`);
    }
  });

  test('every micro gateway has a NetworkPolicy: in from the edge only; out to its backend, the edge, Redis and DNS only', () => {
    const edgePods = podLabels(edge().d);
    const redisPods = podLabels(deployments().find((d) => d.metadata.name === 'phantom-redis')!);
    for (const { d, c } of micros()) {
      const name = d.metadata.name as string;
      const config = configOf(d, c);
      const policies = of('NetworkPolicy').filter((p) => selects(p.spec.podSelector.matchLabels, podLabels(d)));
      assert.equal(policies.length, 1, `${name}: one NetworkPolicy`);
      const policy = policies[0]!;
      for (const other of gatewayContainers().filter((g) => g.d !== d)) assert.ok(!selects(policy.spec.podSelector.matchLabels, podLabels(other.d)), `${name}'s policy also selects ${other.d.metadata.name}`);
      assert.deepEqual([...policy.spec.policyTypes].sort(), ['Egress', 'Ingress']);
      // ingress: the data port from the edge's pods alone; any other rule is for the admin port only
      for (const rule of policy.spec.ingress as Obj[]) {
        assert.ok(rule.from?.length && rule.ports?.length, `${name}: an ingress rule without from or ports admits too much`);
        const ports = (rule.ports as Obj[]).map((p) => portNamed(c, p.port));
        if (ports.includes(config.server.port)) {
          assert.ok((rule.from as Obj[]).every((f) => !f.namespaceSelector && !f.ipBlock && selects(f.podSelector?.matchLabels, edgePods)), `${name}: the data port admits more than the edge`);
        } else {
          assert.deepEqual(ports, [config.admin.port], `${name}: a non-edge rule opens more than the admin port`);
        }
      }
      assert.ok((policy.spec.ingress as Obj[]).some((r) => (r.ports as Obj[]).some((p) => portNamed(c, p.port) === config.server.port)), `${name}: the edge is admitted`);
      // egress: every rule names its peers and ports; together they are the backend, the edge, Redis and DNS
      const egress = policy.spec.egress as Obj[];
      for (const rule of egress) assert.ok(rule.to?.length && rule.ports?.length, `${name}: an egress rule without to or ports allows too much`);
      const allows = (labels: Labels, port: number, namespace?: string) => egress.some((r) => (r.ports as Obj[]).some((p) => p.port === port)
        && (r.to as Obj[]).some((t) => selects(t.podSelector?.matchLabels, labels) && (namespace ? t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace : !t.namespaceSelector)));
      assert.ok(allows(edgePods, portNamed(edge().c, 'http')), `${name}: egress to the edge's JWKS`);
      if (config.throttle?.redis) assert.ok(allows(redisPods, 6379), `${name}: egress to Redis`);
      assert.ok(egress.some((r) => (r.ports as Obj[]).some((p) => p.port === 53 && p.protocol === 'UDP')), `${name}: DNS`);
      const backend = new URL(config.backend);
      const [service, namespace] = backend.hostname.split('.');
      assert.ok(allows({ 'app.kubernetes.io/name': service! }, Number(backend.port || 80), namespace), `${name}: egress to its backend ${backend.host}`);
      assert.equal(egress.length, 4, `${name}: backend, edge, Redis, DNS and nothing else`);
    }
  });

  test('each gateway ConfigMap passes phantom edge|micro --check on a kubelet-style copy of the pod volumes, with the pod environment', async () => {
    const checks = gatewayContainers().map(({ d, c }) => {
      const root = tempDir();
      const mounts = (c.volumeMounts as Obj[]).map((m) => ({ m, v: (d.spec.template.spec.volumes as Obj[]).find((v) => v.name === m.name)! }));
      // paths under a mount point move under `root`, in one pass (root itself may sit under a mount point such as /tmp)
      const mountPoints = new RegExp(`(?<![\\w./-])(${mounts.map(({ m }) => (m.mountPath as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})/`, 'g');
      const relocate = (text: string) => text.replace(mountPoints, `${root}$1/`);
      for (const { m, v } of mounts) {
        if (v.configMap) {
          const data = configMapData(v.configMap.name);
          assert.ok(data, `${d.metadata.name}: ConfigMap ${v.configMap.name} is not rendered`);
          writeKubeletVolume(join(root, m.mountPath), Object.fromEntries(Object.entries(data).map(([k, text]) => [k, relocate(text)])));
        } else if (v.secret) {
          const secret = of('Secret').find((s) => s.metadata.name === v.secret.secretName);
          assert.ok(secret, `${d.metadata.name}: Secret ${v.secret.secretName} is not rendered`);
          writeKubeletVolume(join(root, m.mountPath), Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, b64]) => [k, Buffer.from(b64, 'base64')])));
        }
      }
      const env: Record<string, string> = {};
      for (const e of (c.env ?? []) as Obj[]) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) {
          const secret = of('Secret').find((s) => s.metadata.name === ref.name);
          assert.ok(secret?.data?.[ref.key], `${d.metadata.name}: env ${e.name} names a missing Secret key ${ref.name}/${ref.key}`);
          env[e.name] = Buffer.from(secret.data[ref.key], 'base64').toString('utf8');
        } else {
          env[e.name] = e.value;
        }
      }
      const args = (c.args as string[]).map((a) => (a.startsWith('/') ? relocate(a) : a));
      return runCli([...args, '--check'], { PATH: process.env.PATH, ...env }).then((r) => ({ name: d.metadata.name as string, ...r }));
    });
    assert.equal(checks.length, 3);
    for (const r of await Promise.all(checks)) {
      assert.equal(r.status, 0, `${r.name}: ${r.stderr}`);
      assert.match(r.stdout, /configuration OK/);
    }
  });
});
