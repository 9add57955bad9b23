// What the machine was doing: other processes compete for the same cores, so every report says
// how busy the machine was around the run.
import fs from 'node:fs';
import os from 'node:os';

export type Environment = {
  node: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  loadAverage: number[];
  cpuPressure: string | null;
};

export function cpuPressure(): string | null {
  try {
    // "some avg10=…": the share of the last 10 s in which some runnable task waited for a CPU.
    const line = fs.readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const match = /avg10=([\d.]+) avg60=([\d.]+)/.exec(line);
    return match ? `${match[1]}% / ${match[2]}%` : null;
  } catch {
    return null;
  }
}

export function environment(): Environment {
  return {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    cpuPressure: cpuPressure(),
  };
}
