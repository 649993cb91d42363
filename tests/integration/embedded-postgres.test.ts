import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertPortFree, freePort, startEmbeddedPostgres, StartupError } from "../../db/embedded.ts";

const dirs: string[] = [];
async function scratch(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "relink-pgdata-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function snapshot(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir, { recursive: true });
  return Promise.all(names.sort().map(async (n) => `${n}:${(await fs.stat(path.join(dir, n))).size}`));
}

describe("embedded PostgreSQL refuses data it cannot use, and leaves it untouched", () => {
  it("names the version when the folder holds another major version", async () => {
    const dir = await scratch();
    await fs.writeFile(path.join(dir, "PG_VERSION"), "15\n");
    await fs.writeFile(path.join(dir, "precious"), "data");
    const before = await snapshot(dir);
    const err = await startEmbeddedPostgres({ dataDir: dir, port: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/holds PostgreSQL 15 data but the embedded server is PostgreSQL 18.*left untouched/s);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("refuses a non-empty folder that is not a PostgreSQL data folder", async () => {
    const dir = await scratch();
    await fs.writeFile(path.join(dir, "notes.txt"), "mine");
    const err = await startEmbeddedPostgres({ dataDir: dir, port: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/not empty but holds no PostgreSQL data/);
  });

  it("reports a corrupted data folder with PostgreSQL's own words", async () => {
    const dir = await scratch();
    await fs.writeFile(path.join(dir, "PG_VERSION"), "18\n");
    await fs.writeFile(path.join(dir, "postgresql.conf"), "this is = not ( valid\n");
    const before = await snapshot(dir);
    const port = await freePort();
    const err = await startEmbeddedPostgres({ dataDir: dir, port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/could not start from .*left untouched/s);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("names a port that is already taken", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    await expect(assertPortFree(port, "127.0.0.1", "the web console")).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use, so the web console cannot start`,
    );
    server.close();
  });
});
