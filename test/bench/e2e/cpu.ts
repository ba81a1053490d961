/**
 * CPU time (user + system) of the processes in the benchmark, from /proc/PID/stat (utime, stime,
 * in USER_HZ = 100 ticks/s), and of this process (the client) from process.cpuUsage(). CPU per
 * created Pod is much less disturbed by other load on a shared machine than throughput is.
 * Where there is no /proc, readings are undefined and the report leaves them out.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/** Fields after the command name, which is in parentheses and may contain spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function processCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  if (!fields || fields[11] === undefined || fields[12] === undefined) return undefined;
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

export function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** The control plane's processes, which the harness starts as children of this process: name → pid. */
export function controlPlanePids(): Record<string, number> {
  const found: Record<string, number> = {};
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return found;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    const fields = statFields(pid);
    if (!fields || Number(fields[1]) !== process.pid) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    // comm is cut at 15 characters: kube-controller-manager reads "kube-controller".
    for (const known of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
      if (known.startsWith(name) && name.length > 0) found[known] = pid;
    }
  }
  return found;
}

/**
 * Busy CPU time of the whole machine, all cores, from the first line of /proc/stat (user, nice,
 * system, irq, softirq, steal). Less what the benchmark's own processes used, it shows how much
 * other work shared the machine during a run.
 */
export function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU ms of each named process (or group of processes, summed), and of this one as "client", at one instant. */
export function cpuSnapshot(pids: Readonly<Record<string, number | readonly number[]>>): Record<string, number | undefined> {
  const snapshot: Record<string, number | undefined> = { client: selfCpuMs() };
  for (const [name, group] of Object.entries(pids)) {
    const readings = (typeof group === 'number' ? [group] : group).map(processCpuMs);
    snapshot[name] = readings.includes(undefined) ? undefined : readings.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  }
  return snapshot;
}

/** Cores' worth of CPU used by anything but the named processes between two snapshots. */
export function otherCores(before: Record<string, number | undefined>, after: Record<string, number | undefined>, machine: [number | undefined, number | undefined], elapsedMs: number): number | undefined {
  const [start, end] = machine;
  if (start === undefined || end === undefined || elapsedMs <= 0) return undefined;
  let ours = 0;
  for (const [name, value] of Object.entries(after)) ours += (value ?? 0) - (before[name] ?? value ?? 0);
  return Math.max(0, end - start - ours) / elapsedMs;
}

/** µs of CPU per created Pod, per process, between two snapshots. */
export function cpuPerPod(before: Record<string, number | undefined>, after: Record<string, number | undefined>, pods: number): Record<string, number> {
  const perPod: Record<string, number> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (start === undefined || end === undefined || pods === 0) continue;
    perPod[name] = ((end - start) * 1000) / pods;
  }
  return perPod;
}
