/**
 * The simulator for bench:fleet, in its own process: N Cliniko accounts `bench-<i>` whose keys are
 * computed the same way by the bench, plus a global latency fault. Prints "ready <url>".
 */
import { startSimulator } from "../../simulator/server.ts";
import { clinikoKey } from "../../simulator/keys.ts";
import { addClinikoAccount, addClinikoKey, createWorld } from "../../simulator/world.ts";

export const BENCH_SHARDS = ["au1", "au2", "au3", "uk1", "uk2", "ca1"] as const;
export function benchKey(i: number): { key: string; shard: string } {
  const shard = BENCH_SHARDS[i % BENCH_SHARDS.length]!;
  return { key: clinikoKey(`bench-${i}`, shard), shard };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 10_000);
  const latencyMs = Number(process.argv[3] ?? 20);
  const world = createWorld({ demo: false });
  for (let i = 0; i < count; i++) {
    const { key, shard } = benchKey(i);
    const account = addClinikoAccount(world, { label: `bench-${i}`, shard, patients: 40 });
    addClinikoKey(world, account, { key });
  }
  world.globalFaults = { latencyMs };
  const sim = await startSimulator({ port: 0, world });
  process.stdout.write(`ready ${sim.url}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
