// How the console writes times, durations, ages, money and statuses. Pure; times in UTC.
import { html } from "hono/html";
import { isFinal, type OrderStatus } from "../../domain/order.ts";

export type Html = ReturnType<typeof html>;

/** `2026-11-23 14:05:09 UTC` */
export const time = (iso: string | Date | null | undefined) =>
  iso ? `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC` : "—";

/** `850 ms`, `2.4 s`, `3 min 5 s` */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** How long ago, coarse: `12 s`, `4 min`, `3 h 10 min`, `2 d 5 h`. */
export function age(since: string | Date, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

const STATUS_LABEL: Record<OrderStatus, string> = {
  processing: "processing",
  awaiting_payment: "awaiting payment",
  needs_attention: "needs attention",
  completed: "completed",
  payment_failed: "payment failed",
  abandoned: "abandoned",
  expired: "expired",
  refunded: "refunded",
};

/** A status as a coloured badge; `data-status` carries the raw value for scripts and tests. */
export const statusBadge = (status: OrderStatus) =>
  html`<span class="badge ${status}${isFinal(status) ? " final" : ""}" data-status="${status}">${STATUS_LABEL[status]}</span>`;

export const orderLink = (id: string, text: string = id) =>
  html`<a href="/console/orders/${encodeURIComponent(id)}">${text}</a>`;

/** `14:05:09.123` (UTC), for step times; the full instant is the title. */
export const clock = (iso: string | undefined) =>
  iso ? html`<time datetime="${iso}" title="${time(iso)}">${iso.slice(11, 23)}</time>` : "—";
