// A real headless Chromium from npm (@sparticuz/chromium ships the build; puppeteer-core drives it),
// and the few page helpers the browser tests share. Page-side code is passed as strings: the
// project type-checks without the DOM library, so server code cannot use browser globals by mistake.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser, type HTTPResponse, type Page } from "puppeteer-core";

export const ARTIFACTS = fileURLToPath(new URL("../browser/artifacts/", import.meta.url));

// The package's flags suit a serverless sandbox. Left out here: the two that switch off the
// same-origin policy (a test of CSRF and cookie rules needs a browser that keeps it), and
// --single-process, under which opening a page in a second browser context kills the browser.
const LEFT_OUT = new Set(["--disable-web-security", "--allow-running-insecure-content", "--single-process"]);

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args.filter((a) => !LEFT_OUT.has(a)), "--no-sandbox"],
    headless: true,
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** Runs `js` in the page and gives its (JSON-able) value. */
export const evaluate = <T>(page: Page, js: string) => page.evaluate(js) as Promise<T>;

export const textOf = (page: Page, selector: string) =>
  evaluate<string | null>(
    page,
    `document.querySelector(${JSON.stringify(selector)})?.textContent?.replace(/\\s+/g, " ").trim() ?? null`,
  );

/** Waits, without reloading, until `js` gives a value `ok` accepts; a navigation in between (a live reload) is fine. */
export async function waitInPage<T>(page: Page, js: string, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await evaluate<T>(page, js).catch(() => undefined); // the page was mid-navigation
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`page never satisfied the wait: last value ${JSON.stringify(last)} from ${js}`);
}

/** The status an order page shows. */
export const shownStatus = (page: Page) =>
  evaluate<string | null>(page, `document.querySelector("#status [data-status]")?.dataset.status ?? null`);

/** Clicks what submits a form or follows a link, and gives the answer the page navigated to. */
export async function clickAndWait(page: Page, selector: string): Promise<HTTPResponse | null> {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

export async function signIn(page: Page, baseUrl: string, token: string, path = "/console") {
  await page.goto(`${baseUrl}${path}`);
  if (!page.url().includes("/console/sign-in")) throw new Error(`expected the sign-in page, got ${page.url()}`);
  await page.type("#token", token);
  const answer = await clickAndWait(page, "button[type=submit]");
  if (answer?.status() !== 200 || page.url().includes("/console/sign-in"))
    throw new Error(`sign-in failed: ${answer?.status()} at ${page.url()}`);
}

/** test/browser/artifacts/<name>.png: the whole page, or what the viewport shows. */
export async function screenshot(page: Page, name: string, fullPage = true) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) as `${string}.png`, fullPage });
}
