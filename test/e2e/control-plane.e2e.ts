/**
 * The test control plane behaves like a cluster: real kube-apiserver, etcd and
 * kube-controller-manager at the pinned Kubernetes release, driven by real kubectl.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const pinned = (JSON.parse(readFileSync(fileURLToPath(new URL('../../standards/kubernetes-version.json', import.meta.url)), 'utf8')) as { kubernetes: string }).kubernetes;
const plane: ControlPlane = await startControlPlane();
t.teardown(() => plane.stop());

t.test('the API server is the pinned release', async (t) => {
  const version = JSON.parse(plane.kubectl(['version', '-o', 'json']).stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
  t.equal(version.serverVersion.gitVersion, pinned);
  t.equal(version.clientVersion.gitVersion, pinned);
});

t.test('a Deployment makes a ReplicaSet and Pods (controller-manager runs)', async (t) => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example.com/web:1.0}]
`;
  const apply = plane.kubectl(['apply', '-f', '-'], deployment);
  t.equal(apply.code, 0, apply.stderr);
  await waitFor(() => plane.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'name']).stdout.trim().split('\n').filter(Boolean).length === 2, 60_000, 'two pods');
  const owner = plane.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.ownerReferences[0].kind}']).stdout;
  t.equal(owner, 'ReplicaSet');
});

t.test('service accounts get tokens; RBAC denies what is not granted', async (t) => {
  t.equal(plane.kubectl(['create', 'namespace', 'team-a']).code, 0);
  await waitFor(() => plane.kubectl(['get', 'serviceaccount', 'default', '-n', 'team-a']).code === 0, 30_000, 'default service account');
  const token = plane.kubectl(['create', 'token', 'default', '-n', 'team-a']);
  t.equal(token.code, 0, token.stderr);
  t.match(token.stdout, /^eyJ/, 'a signed service-account token');
  const denied = plane.kubectl(['--token', token.stdout.trim(), 'get', 'secrets', '-n', 'kube-system']);
  t.not(denied.code, 0);
  t.match(denied.stderr, /forbidden/);
});

t.test('namespace deletion completes (namespace controller)', async (t) => {
  t.equal(plane.kubectl(['delete', 'namespace', 'team-a', '--wait=false']).code, 0);
  await waitFor(() => plane.kubectl(['get', 'namespace', 'team-a']).code !== 0, 60_000, 'namespace gone');
  t.pass('deleted');
});
