import type { Db } from "../../db/client.ts";
import { createBudgetRow, leaseFromBudget, listPausedBudgets, pauseBudget } from "../../db/queries/vendor-budgets.ts";
import type { BudgetStore } from "../vendors/shared-budget.ts";

/**
 * The rings of the shared rate budget in Postgres (db/queries/vendor-budgets.ts): one row per
 * vendor user, leased from atomically by every process (docs/decisions/0034-shared-rate-budget.md).
 */
export function createPostgresBudgetStore({ db }: { db: Db }): BudgetStore {
  return {
    async lease(req) {
      const first = await leaseFromBudget(req, db);
      if (first) return first;
      // why: once per bucket ever; the insert cannot be folded into the locked update (one snapshot)
      await createBudgetRow({ bucket: req.bucket, ring: req.ring }, db);
      const second = await leaseFromBudget({ ...req, giveBack: undefined }, db);
      if (!second) throw new Error("vendor budget row vanished");
      return second;
    },
    async pause({ bucket, untilMs, ring }) {
      await pauseBudget({ bucket, until: new Date(untilMs), ring }, db);
    },
    pausedBuckets: () => listPausedBudgets(db),
  };
}
