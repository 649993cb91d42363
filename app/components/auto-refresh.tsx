import { useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { LocalTime } from "./local-time.tsx";

/** How often an open page re-reads its loader while the tab is visible. */
const REFRESH_EVERY_MS = 30_000;

/**
 * Keeps an open page current (issue 11): re-runs the route's loaders every `everyMs` while the tab
 * is visible, pauses while it is hidden (and catches up when it is shown again), and never while a
 * navigation or form submission is in flight. Revalidation re-renders with new loader data but does
 * not remount the page, so uncontrolled inputs being typed in keep their text. Shows when the data
 * was read (`at`: the loader's clock), in the agent's zone.
 */
export function AutoRefresh({ at, everyMs = REFRESH_EVERY_MS }: { at: number; everyMs?: number }) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  // why: the interval closes over refs, so it is set up once and always sees the current state
  const busy = useRef(false);
  busy.current = revalidator.state !== "idle" || navigation.state !== "idle";
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const lastAt = useRef(at);
  lastAt.current = at;

  useEffect(() => {
    const tick = () => {
      if (document.hidden || busy.current) return;
      if (Date.now() - lastAt.current < everyMs - 1000) return;
      revalidate.current();
    };
    const timer = window.setInterval(tick, Math.min(everyMs, 5000));
    const onShow = () => {
      if (!document.hidden) tick();
    };
    document.addEventListener("visibilitychange", onShow);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onShow);
    };
  }, [everyMs]);

  return (
    <p className="refreshed hint" data-refreshed-at={at}>
      Updated <LocalTime at={at} style="time" /> · refreshes every {Math.round(everyMs / 1000)} s while open
    </p>
  );
}
