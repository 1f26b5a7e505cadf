// The same business steps as the order workflow, with the same ports (adapters and database),
// as plain async calls: no journal, no retries, no recovery. What durability is measured against:
// the inline baseline app (bench/inline-app.ts) runs it in its webhook handler.
import type { OrderPorts } from "../services/ports.ts";
import { confirmationEmail } from "../src/domain/emails.ts";
import { estimatedArrival, groupByCenter, type ShipmentRecord } from "../src/domain/order.ts";

export async function processOrderWithoutRestate(ports: OrderPorts, orderId: string): Promise<string> {
  const order = await ports.beginOrder(orderId);
  if (!order) throw new Error(`unknown payment session ${orderId}`);
  const payment = await ports.checkPayment(order);
  if (payment.outcome !== "paid") throw new Error(`payment ${payment.outcome}`);
  const gate = await ports.checkBeforeHandOff(order.id); // the workflow's one transaction before the hand-off
  if (gate.verdict !== "go") throw new Error(`hand-off gate: ${gate.verdict}`);
  const groups = groupByCenter(order.items, order.centers);
  const results = await Promise.all(
    groups.flatMap((g) => [
      ports.takeStock(order.id, g.items).then(() => null),
      ports.sendToCenter(order, g, order.shipTo ?? payment.shipTo ?? null),
    ]),
  );
  const shipments = results.filter((r): r is ShipmentRecord => r !== null);
  const arrival = estimatedArrival(shipments, order.centers, Date.now());
  await Promise.all([
    ports.sendEmail(order.id, order.email, confirmationEmail(order, arrival)),
    ports.recordHistory(order, shipments, arrival),
  ]);
  await ports.setStatus(order.id, "completed");
  return arrival;
}
