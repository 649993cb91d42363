import { describe, expect, it } from "vitest";
import { burnDown } from "./campaign-page.ts";

describe("burnDown", () => {
  it("counts clinics from the day they were added until the day they reconnected, and leaves days ahead empty", () => {
    const points = burnDown({
      members: [
        { addedDay: "2026-03-01", reconnectedDay: null },
        { addedDay: "2026-03-01", reconnectedDay: "2026-03-02" },
        { addedDay: "2026-03-02", reconnectedDay: "2026-03-03" },
      ],
      startDay: "2026-03-01",
      today: "2026-03-03",
      deadline: "2026-03-05",
    });
    expect(points).toEqual([
      { day: "2026-03-01", remaining: 2 },
      { day: "2026-03-02", remaining: 2 },
      { day: "2026-03-03", remaining: 1 },
      { day: "2026-03-04", remaining: null },
      { day: "2026-03-05", remaining: null },
    ]);
  });

  it("runs to today when the deadline has passed, and draws at most 120 days", () => {
    const points = burnDown({ members: [], startDay: "2025-01-01", today: "2026-03-03", deadline: "2026-02-01" });
    expect(points).toHaveLength(120);
    expect(points.at(-1)).toEqual({ day: "2026-03-03", remaining: 0 });
  });
});
