// Every error the HTTP API answers with, and its status, in one place. Messages say enough and
// no more: an upstream's own words (Stripe, a center, the database) are logged, never answered.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "../../db/errors.ts";
import { RestateCallError, RestateUnavailableError } from "../adapters/restate-ingress.ts";
import { CheckoutError } from "../domain/checkout-pricing.ts";
import { PaymentRejectedError, StripeUnavailableError } from "../place-checkout.ts";

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_signature: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  out_of_stock: 409,
  payload_too_large: 413,
  unknown_product: 422,
  mixed_currency: 422,
  quantity_too_large: 422,
  total_too_large: 422,
  payment_rejected: 422,
  rate_limited: 429,
  internal: 500,
  stripe_unavailable: 502,
  restate_unavailable: 503,
  database_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Seconds a client should wait before trying again, for the errors that pass. */
export const RETRY_AFTER: Partial<Record<ErrorCode, number>> = { restate_unavailable: 5, database_unavailable: 5 };

export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const RESTATE_CODES: Record<number, ErrorCode> = {
  400: "invalid_request",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CheckoutError) return new ApiError(err.code, err.message);
  if (err instanceof PaymentRejectedError) return new ApiError("payment_rejected", err.message);
  if (err instanceof StripeUnavailableError) return new ApiError("stripe_unavailable", err.message);
  if (err instanceof RestateUnavailableError)
    return new ApiError("restate_unavailable", "order processing is briefly unavailable; try again shortly");
  if (err instanceof RestateCallError) return new ApiError(RESTATE_CODES[err.status] ?? "internal", err.message);
  if (isDatabaseUnavailable(err))
    return new ApiError("database_unavailable", "the database is briefly unavailable; try again shortly");
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ApiError("payload_too_large", err.message);
    if (err.status === 401) return new ApiError("unauthorized", "missing or wrong bearer token");
    return new ApiError("invalid_request", err.message);
  }
  return new ApiError("internal", "internal error");
}

export const errorBody = (e: ApiError) => ({ error: { code: e.code, message: e.message } });
