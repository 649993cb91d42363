import { sendJson, type Req, type Res } from "./http.ts";
import type { World } from "./world.ts";

export async function handleNookalV3(world: World, _req: Req, res: Res, _region: string, _path: string): Promise<void> {
  sendJson(world, res, 501, { error: "not yet" });
}
export async function handleNookalV2(world: World, _req: Req, res: Res, _fn: string): Promise<void> {
  sendJson(world, res, 501, { error: "not yet" });
}
