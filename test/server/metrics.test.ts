import t from 'tap';
import { createMetrics } from '../../src/server/metrics.js';

t.test('process metrics come with the admission metrics, the event-loop lag among them', async (t) => {
  const metrics = createMetrics();
  // The lag histogram samples every 100 ms: let it take a few samples.
  await new Promise((resolve) => setTimeout(resolve, 350));
  const text = await metrics.registry.metrics();
  t.match(text, /\npalisade_process_cpu_seconds_total \d/);
  t.match(text, /\npalisade_nodejs_eventloop_lag_p99_seconds \d/);
  t.match(text, /# TYPE palisade_admission_requests_total counter/, 'the admission metrics are on the same registry');
  t.notMatch(createMetrics({ processMetrics: false }).registry.getMetricsAsArray().map((m) => m.name).join(' '), /process_cpu/, 'processMetrics: false leaves them out');
});
