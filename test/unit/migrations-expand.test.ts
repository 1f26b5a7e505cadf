// Migrations run before the new version starts, while the old one still serves its orders (a
// deploy runs two versions side by side for days). So a migration only expands: new tables, new
// nullable columns or columns with a default, new enum values, new indexes. What removes or
// changes something the old version uses (drop, rename, retype, a new NOT NULL without default)
// waits for a later "contract" migration, shipped once `npm run deployments` shows that version
// retired; its file name says so (`NNNN_contract_….sql`). docs/operating.md has the rule.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = fileURLToPath(new URL("../../db/migrations", import.meta.url));
const CONTRACTING: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|COLUMN|TYPE|CONSTRAINT|INDEX|VIEW)\b/i, "drops something"],
  [/\bRENAME\b/i, "renames something"],
  [/\bSET\s+NOT\s+NULL\b/i, "makes a column required"],
  [/\bSET\s+DATA\s+TYPE\b|\bALTER\s+COLUMN\s+\S+\s+TYPE\b/i, "retypes a column"],
  [/\bADD\s+COLUMN\b(?![^;]*\bDEFAULT\b)[^;]*\bNOT\s+NULL\b/i, "adds a required column without a default"],
];
/** Checked by hand when they were written, before this rule: why each is safe beside its predecessor. */
const REVIEWED: Record<string, string> = {
  // text → enum: every value the earlier code wrote is one of the enum's (else the migration fails
  // and changes nothing), and the earlier code writes the same strings into the enum columns.
  "0001_typed_statuses.sql": "retypes a column",
};

const migrations = readdirSync(dir)
  .filter((f) => f.endsWith(".sql"))
  .sort();
const statements = (file: string) =>
  readFileSync(path.join(dir, file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.trim());

describe("database migrations expand; contracting waits for its own migration", () => {
  it("finds the committed migrations", () => {
    expect(migrations.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of migrations.slice(1)) {
    it(`${file} only expands (or is a contract migration)`, () => {
      if (/^\d+_contract_/.test(file)) return;
      const found = statements(file).flatMap((sql) =>
        CONTRACTING.filter(([pattern]) => pattern.test(sql)).map(([, what]) => what),
      );
      expect(found.filter((what) => REVIEWED[file] !== what)).toEqual([]);
    });
  }

  it("catches a contracting statement (the check itself)", () => {
    const sql = 'ALTER TABLE "orders" DROP COLUMN "status";';
    expect(CONTRACTING.some(([p]) => p.test(sql))).toBe(true);
    expect(CONTRACTING.some(([p]) => p.test('ALTER TABLE "x" ADD COLUMN "y" text DEFAULT \'a\' NOT NULL;'))).toBe(
      false,
    );
    expect(CONTRACTING.some(([p]) => p.test('ALTER TABLE "x" ADD COLUMN "y" text NOT NULL;'))).toBe(true);
  });
});
