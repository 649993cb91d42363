import { env } from "../config/env.ts";
import { startSimulator } from "./server.ts";

/** The simulator as its own process: `npm run start:simulator`. */
const settings = env();
const sim = await startSimulator({ port: settings.SIMULATOR_PORT, host: settings.HOST });
console.log(`vendor simulator listening on ${sim.url}`);
console.log(`  CLINIKO_API_URL=${sim.url}/cliniko/{shard}/v1`);
console.log(`  NOOKAL_API_URL_AU=${sim.url}/nookal/au  NOOKAL_API_URL_EU=${sim.url}/nookal/eu  NOOKAL_API_URL_US=${sim.url}/nookal/us`);
console.log(`  NOOKAL_V2_API_URL=${sim.url}/nookal-v2/production/v2`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`vendor simulator stopping (${signal})`);
  sim.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error("vendor simulator failed to stop cleanly", err);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
