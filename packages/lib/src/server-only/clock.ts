// Time is passed in, never read from a global, so tests can move it.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told to move; for tests. */
export class ManualClock implements Clock {
  constructor(private time: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.time;
  }
  set(time: number | Date): void {
    this.time = typeof time === 'number' ? time : time.getTime();
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
