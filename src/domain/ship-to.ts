// Where an order ships: given by the shop at checkout, or collected by Stripe's Checkout page.
// Personal data: it is stored on the payment session, sent to the centers that ship the order,
// shown to operators; never in logs, never on the public order page.
import { z } from "zod";
import { isCountryCode } from "./countries.ts";

export { isCountryCode };

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => ![...s].some((c) => c < " " || c === "\u007f"), "must not contain control characters");

export const CountryCodeSchema = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code, e.g. US or DE");

export const ShipToSchema = z.strictObject({
  name: text(200),
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  state: text(100).optional(),
  postalCode: text(20),
  country: CountryCodeSchema,
});
export type ShipTo = z.infer<typeof ShipToSchema>;

/** Countries Checkout collects an address for when SHIP_TO_COUNTRIES is unset. */
export const DEFAULT_SHIP_TO_COUNTRIES = ["US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "AT", "ES", "IT", "SE", "DK"];

/** Stripe's `collected_information.shipping_details`, in the shape of the API version stripe-node pins. */
export type StripeShippingDetails = {
  name: string;
  address: {
    line1: string | null;
    line2: string | null;
    city: string | null;
    state: string | null;
    postal_code: string | null;
    country: string | null;
  };
};

/** The address Stripe collected, or undefined when it is missing or not one a center can ship to. */
export function shipToFromStripe(details: StripeShippingDetails | null | undefined): ShipTo | undefined {
  if (!details) return undefined;
  const a = details.address;
  const parsed = ShipToSchema.safeParse({
    name: details.name,
    line1: a.line1 ?? undefined,
    line2: a.line2 || undefined,
    city: a.city ?? undefined,
    state: a.state || undefined,
    postalCode: a.postal_code ?? undefined,
    country: a.country ?? undefined,
  });
  return parsed.success ? parsed.data : undefined;
}
