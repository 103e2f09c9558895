// Autosave with optimistic concurrency. Edits are debounced into one PUT with
// If-Match; at most one save is in flight, and edits made during it are saved
// next. A 412 (someone else saved first) stops saving and reports a conflict:
// only an explicit choice by the user (adopt) ends it, so nothing is ever
// silently overwritten in either direction.
import { describeError, isConflict } from './edge-client.ts';

export type SaveStatus = 'saved' | 'dirty' | 'saving' | 'conflict' | 'error';

export interface SaveState {
  status: SaveStatus;
  etag: string;
  error?: string;
}

export interface AutosaverOptions<T> {
  etag: string;
  /** resolves with the new ETag; rejects with a 412 EdgeError on a conflict */
  save: (value: T, etag: string) => Promise<string>;
  onState: (s: SaveState) => void;
  delayMs?: number;
  retryMs?: number;
}

export interface Autosaver<T> {
  change(value: T): void;
  /** save now if anything is unsaved; resolves when idle */
  flush(): Promise<void>;
  /** end a conflict (or restart) from a known version: after "load theirs" or before "keep mine" */
  adopt(etag: string, value?: T): void;
  state(): SaveState;
  dispose(): void;
}

export function createAutosaver<T>(options: AutosaverOptions<T>): Autosaver<T> {
  const delayMs = options.delayMs ?? 800;
  const retryMs = options.retryMs ?? 5000;
  let state: SaveState = { status: 'saved', etag: options.etag };
  let latest: { value: T; version: number } | undefined;
  let savedVersion = 0;
  let version = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let disposed = false;

  const set = (s: SaveState) => {
    state = s;
    if (!disposed) options.onState(s);
  };
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const schedule = (ms: number) => {
    clear();
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, ms);
  };

  async function run(): Promise<void> {
    if (disposed || state.status === 'conflict' || !latest || latest.version === savedVersion) return;
    if (inFlight) return inFlight;
    const snapshot = latest;
    set({ status: 'saving', etag: state.etag });
    inFlight = (async () => {
      try {
        const etag = await options.save(snapshot.value, state.etag);
        savedVersion = snapshot.version;
        const more = latest !== undefined && latest.version !== savedVersion;
        set({ status: more ? 'dirty' : 'saved', etag });
        if (more) schedule(0);
      } catch (e) {
        if (isConflict(e)) {
          clear();
          set({ status: 'conflict', etag: state.etag, error: describeError(e) });
        } else {
          set({ status: 'error', etag: state.etag, error: describeError(e) });
          schedule(retryMs);
        }
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    change(value) {
      latest = { value, version: ++version };
      if (state.status === 'conflict') return;
      if (state.status !== 'saving') set({ status: 'dirty', etag: state.etag });
      schedule(delayMs);
    },
    async flush() {
      clear();
      if (inFlight) await inFlight;
      await run();
    },
    adopt(etag, value) {
      clear();
      if (value !== undefined) {
        // the adopted value is what the server holds: nothing to save
        latest = { value, version: ++version };
        savedVersion = version;
        set({ status: 'saved', etag });
      } else {
        const unsaved = latest !== undefined && latest.version !== savedVersion;
        set({ status: unsaved ? 'dirty' : 'saved', etag });
        if (unsaved) schedule(0);
      }
    },
    state: () => state,
    dispose() {
      disposed = true;
      clear();
    },
  };
}
