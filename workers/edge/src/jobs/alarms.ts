// A Durable Object has one alarm, and a job object has several reasons to wake:
// the driver's watchdog, webhook retries (and whatever else needs a later turn).
// Each reason keeps a named deadline in storage; the alarm is always set to the
// earliest one, and alarm() runs the handlers whose deadline has passed. A
// handler that wants another turn sets its deadline again; done() drops the
// deadline only if the handler did not.
export type AlarmName = 'driver' | 'webhook';

export interface AlarmSchedule {
  /** wake `name` at `at` (ms since the epoch), replacing its earlier deadline */
  set(name: AlarmName, at: number): Promise<void>;
  clear(name: AlarmName): Promise<void>;
  /** the deadlines that have passed, by name */
  due(now: number): Map<AlarmName, number>;
  /** after `name`'s handler ran for the deadline `at`: drop it, unless the handler set a new one */
  done(name: AlarmName, at: number): Promise<void>;
  /** the storage alarm = the earliest deadline (none: no alarm) */
  arm(): Promise<void>;
}

const storageKey = 'alarms';

export function createAlarmSchedule(storage: DurableObjectStorage): AlarmSchedule {
  let deadlines: Partial<Record<AlarmName, number>> | undefined;
  const load = () => (deadlines ??= storage.kv.get<Partial<Record<AlarmName, number>>>(storageKey) ?? {});
  const save = (next: Partial<Record<AlarmName, number>>) => {
    deadlines = next;
    storage.kv.put(storageKey, next);
  };

  async function arm(): Promise<void> {
    const times = Object.values(load());
    if (times.length === 0) await storage.deleteAlarm();
    else await storage.setAlarm(Math.min(...times));
  }

  return {
    async set(name, at) {
      save({ ...load(), [name]: at });
      await arm();
    },
    async clear(name) {
      const { [name]: _gone, ...rest } = load();
      save(rest);
      await arm();
    },
    due(now) {
      const stored = load();
      // an alarm set before deadlines were kept (an older deploy) is the driver's watchdog
      if (Object.keys(stored).length === 0) return new Map([['driver', 0]]);
      return new Map((Object.entries(stored) as [AlarmName, number][]).filter(([, at]) => at <= now));
    },
    async done(name, at) {
      if (load()[name] !== at) return;
      const { [name]: _gone, ...rest } = load();
      save(rest);
      await arm();
    },
    arm,
  };
}
