// `npm run operator -- add <name>`: a new console token for one operator. Prints the token once
// (give it to that person; it is never stored) and the OPERATORS entry that lets it sign in (its
// SHA-256 only). Removing the entry from OPERATORS, and restarting the app, ends their sessions.
import { newOperator, OperatorNameSchema } from "../domain/operators.ts";

const [command, name] = process.argv.slice(2);
const parsed = OperatorNameSchema.safeParse(name);
if (command !== "add" || !parsed.success) {
  process.stderr.write(
    `usage: npm run operator -- add <name>\n${parsed.success ? "" : `  ${parsed.error.issues[0]?.message ?? "a name is needed"}\n`}`,
  );
  process.exit(1);
}
const { token, entry } = newOperator(parsed.data);
process.stderr.write(
  `Token for ${parsed.data}: shown this once, give it to them only (it signs in to the console as ${parsed.data}):\n`,
);
process.stdout.write(`${token}\n`);
process.stderr.write(`Add this to OPERATORS (comma-separated), then restart the HTTP app:\n`);
process.stdout.write(`${entry}\n`);
