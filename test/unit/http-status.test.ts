import { describe, expect, it } from "vitest";
import { isRetryableStatus, upstreamError } from "../../src/adapters/http-status.ts";
import { PermanentError } from "../../src/domain/errors.ts";

describe("the one retry rule every adapter shares", () => {
  it.each([500, 502, 503, 504, 408, 429])("retries %i", (status) => {
    expect(isRetryableStatus(status)).toBe(true);
    expect(upstreamError(status, "x")).not.toBeInstanceOf(PermanentError);
  });

  it.each([400, 401, 403, 404, 409, 422])("treats %i as a rejection that no retry can fix", (status) => {
    expect(isRetryableStatus(status)).toBe(false);
    expect(upstreamError(status, "x")).toBeInstanceOf(PermanentError);
  });

  it("retries an upstream that was never reached (no status)", () => {
    expect(upstreamError(undefined, "ECONNREFUSED")).not.toBeInstanceOf(PermanentError);
  });
});
