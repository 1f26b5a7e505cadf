// The catalog seed file: validated with the catalog schema, then upserted (stock is set to the
// file's value).
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { CatalogSchema, type Catalog } from "../src/domain/catalog.ts";
import { upsertCatalog } from "./catalog.ts";
import type { Db } from "./client.ts";

export const DEMO_CATALOG_FILE = new URL("./demo-catalog.json", import.meta.url);

export async function readCatalog(file: string | URL): Promise<Catalog> {
  const parsed = CatalogSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`invalid catalog ${file}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function seedCatalog(db: Db, file: string | URL): Promise<Catalog> {
  const catalog = await readCatalog(file);
  await upsertCatalog(db, catalog);
  return catalog;
}
