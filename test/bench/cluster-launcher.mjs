// Runs N copies of a server script as node:cluster workers sharing its port, for the webhook
// benchmark's --webhook-workers (BENCHMARKS.md §3): `node cluster-launcher.mjs N script args…`.
// Prints "serving on" to stderr once every worker has printed it.
import cluster from 'node:cluster';

const [, , countText, script, ...args] = process.argv;
const count = Number(countText);

if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < count; i++) {
    cluster.fork().on('message', (message) => {
      if (message === 'ready' && ++ready === count) process.stderr.write(`serving on ${count} workers\n`);
    });
  }
  cluster.on('exit', (worker, code) => {
    if (code !== 0 && code !== null) process.stderr.write(`worker ${worker.id} exited with ${code}\n`);
  });
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    if (String(chunk).includes('serving on')) process.send?.('ready');
    return write(chunk, ...rest);
  };
  process.argv = [process.argv[0], script, ...args];
  await import(new URL(`../../${script}`, import.meta.url).href);
}
