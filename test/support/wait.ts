// Waiting in tests. Wait for what you expect (expect.poll, stack.waitForStatus, `until`), never
// for a guessed time. Two waits are time itself, and their names say which:
// `quietFor` before checking that something did NOT happen, and `letTimePass` where the passing
// of time is the thing under test (a rate window, a reminder interval, a pause Stripe makes).
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Checks `condition` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  {
    timeoutMs = 120_000,
    intervalMs = 20,
    what = "the condition",
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await delay(intervalMs);
  }
}

/** Gives what must not happen the time in which it would have shown: a check that nothing happened can only wait. */
export const quietFor = (ms: number) => delay(ms);

/** Lets time pass where the passing of time is what the test is about. */
export const letTimePass = (ms: number) => delay(ms);
