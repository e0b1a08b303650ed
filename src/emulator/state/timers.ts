/** Per-instance timers, so a forced status can cancel exactly one instance's pending lifecycle. */
export class InstanceTimers {
  private timers = new Map<string, NodeJS.Timeout[]>();

  add(instanceId: string, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      const list = this.timers.get(instanceId);
      if (list) {
        const i = list.indexOf(timer);
        if (i >= 0) list.splice(i, 1);
      }
      fn();
    }, ms);
    // The emulator must never keep a test process alive on its own.
    timer.unref();
    const list = this.timers.get(instanceId) ?? [];
    list.push(timer);
    this.timers.set(instanceId, list);
  }

  cancel(instanceId: string): void {
    for (const t of this.timers.get(instanceId) ?? []) clearTimeout(t);
    this.timers.delete(instanceId);
  }

  clear(): void {
    for (const list of this.timers.values()) for (const t of list) clearTimeout(t);
    this.timers.clear();
  }
}
