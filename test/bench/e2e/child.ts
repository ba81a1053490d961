/**
 * A server started as its own node process (as in a cluster, and so the API server's calls to it
 * never wait on this process's event loop), ready once it prints "serving on" to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Server {
  pid: number;
  /** The last output lines, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/**
 * Extra node options for the servers, from BENCH_SERVER_NODE_OPTIONS (space-separated): e.g.
 * `--cpu-prof --cpu-prof-dir=DIR` profiles each webhook under the benchmark's load (node refuses
 * --cpu-prof in NODE_OPTIONS).
 */
const SERVER_NODE_OPTIONS = (process.env['BENCH_SERVER_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean);

export async function startServer(args: string[], cwd: string): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [...SERVER_NODE_OPTIONS, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(chunk.toString());
    if (lines.length > 50) lines.shift();
  };
  child.stdout?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (chunk.toString().includes('serving on')) resolve();
    });
    void exited.then(() => reject(new Error(`${args.slice(0, 2).join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${lines.join('')}`)));
  });
  return {
    pid: child.pid ?? 0,
    output: () => lines.join(''),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
