import fs from 'node:fs';

/** Peak and current resident set size of a process, in bytes, from /proc (Linux). */
export function residentSet(pid: number | 'self' = 'self'): { peak: number; current: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { peak: kb('VmHWM'), current: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** CPU time (ms) that all threads of a process have spent running, from /proc/<pid>/task/<tid>/schedstat. */
export function processCpuMs(pid: number | 'self' = 'self'): number {
  let total = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return Number.NaN;
  }
  return total / 1e6;
}

/** CPU time (ms) of the calling thread. */
export function threadCpuMs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}
