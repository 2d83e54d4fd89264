import { DateTime } from "luxon";
import { DAY_MS } from "./timeBasics";

/** Signed days from `from` to `to`. */
export function daysBetween(from: DateTime, to: DateTime): number {
    return (to.toMillis() - from.toMillis()) / DAY_MS;
}

/** "1 day", "13.5 days", "0.2 days": one decimal at most. */
export function formatDayCount(days: number): string {
    const rounded = Math.round(Math.abs(days) * 10) / 10;
    return `${rounded} ${rounded === 1 ? "day" : "days"}`;
}
