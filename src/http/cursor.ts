// Page cursors: a keyset position (the last row of a page) handed to the client as opaque text,
// base64url of its JSON. It comes back from anyone, so it is read only through its schema.
import type { z } from "zod";

export function cursorCodec<T>(schema: z.ZodType<T>) {
  return {
    encode: (position: T) => Buffer.from(JSON.stringify(position)).toString("base64url"),
    /** The position, or undefined for text this API did not give. */
    decode(text: string): T | undefined {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(text, "base64url").toString());
      } catch {
        return undefined;
      }
      const parsed = schema.safeParse(json);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
