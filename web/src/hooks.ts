// Loading data from the API in components: the answer, the error in plain words, and a reload.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "./api";

export interface Loaded<T> {
  data: T | null;
  /** The path that `data` answers (it may be an earlier one while the next loads). */
  path: string | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * GET `path` whenever it changes (null: nothing to load). The previous answer stays shown while the
 * next loads, so switching a period does not blank the page; a stale answer never overwrites a newer.
 */
export function useFetch<T>(path: string | null, options: { every?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean; path: string | null }>({
    data: null,
    error: null,
    loading: path !== null,
    path: null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false, path: null });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>("GET", path, undefined, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false, path });
      },
      (error) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ data: s.path === path ? s.data : null, error: errorText(error), loading: false, path }));
      },
    );
    return () => controller.abort();
  }, [path, tick]);

  // Refresh on a timer (realtime views), only while the page is visible.
  useEffect(() => {
    if (!options.every || path === null) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, options.every);
    return () => window.clearInterval(timer);
  }, [options.every, path, reload]);

  return { data: state.data, path: state.path, error: state.error, loading: state.loading, reload };
}

/** Run an action (a write), keeping its error in plain words and whether it is running. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string[]>>({});
  const latest = useRef(action);
  latest.current = action;
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      return await latest.current(...args);
    } catch (caught) {
      setError(errorText(caught));
      const withFields = caught as { fields?: Record<string, string[]> };
      if (withFields && withFields.fields) setFields(withFields.fields);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, fields, setError };
}

/** Set the document's title while a view is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Almanac` : "Almanac";
  }, [title]);
}
