// The benchmark's catalog: n fulfillment centers (fc-1 … fc-n, lead times of 1 … n days) and one
// product from each, stocked so that no run runs out. `npm run bench` and `npm run bench:timeline`.
export function benchCatalog(n: number) {
  const centers = Array.from({ length: n }, (_, i) => ({
    id: `fc-${i + 1}`,
    name: `Center ${i + 1}`,
    leadTimeDays: i + 1,
  }));
  const products = centers.map((c, i) => ({
    id: `p-${i + 1}`,
    name: `Product ${i + 1}`,
    priceCents: 1000 + i,
    currency: "usd",
    fulfillmentCenterId: c.id,
    stock: 10_000_000,
  }));
  return { centers, products };
}
