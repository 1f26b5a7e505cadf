import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./db/schema-enums.ts", "./db/schema.ts", "./db/schema-signals.ts"],
  out: "./db/migrations",
});
