// Test harness: starts a demo hub on a free loopback port, launches
// Debian's headless Chromium through playwright-core, and watches every
// page for console errors, requests to other hosts and page weight.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { recompressPng } from './png.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs', 'screenshots');
export const CHROMIUM = process.env.ECERT_CHROMIUM ?? '/usr/bin/chromium';

/** Upper bound on the bytes one page load transfers: the HTML and its subresources. */
export const MAX_PAGE_BYTES = 100 * 1024;

/** How long the demo may take to seed its data and start serving /healthz. */
const HUB_START_TIMEOUT_MS = 120_000;

// Without the background-networking flags Chromium tries to reach Google's
// hosts at start, and this machine's closed network refuses each try.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Finds the ecert-hub binary: ECERT_HUB_BIN, else the debug build in
 * CARGO_TARGET_DIR (by default the one .ci/run uses), else ./target.
 */
export function hubBinary() {
  if (process.env.ECERT_HUB_BIN) {
    if (!existsSync(process.env.ECERT_HUB_BIN)) {
      throw new Error(`ECERT_HUB_BIN=${process.env.ECERT_HUB_BIN} does not exist; build it with 'cargo build -p ecert-hub'`);
    }
    return process.env.ECERT_HUB_BIN;
  }
  const targetDirs = [
    process.env.CARGO_TARGET_DIR,
    path.join(os.homedir(), '.cache', 'ecert-hub', 'target'),
    path.join(REPO_ROOT, 'target'),
  ].filter(Boolean);
  const candidates = targetDirs.map((dir) => path.join(dir, 'debug', 'ecert-hub'));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      `ecert-hub is not built: none of ${candidates.join(', ')} exists. ` +
        "Run 'cargo build -p ecert-hub' or set ECERT_HUB_BIN to the binary.",
    );
  }
  return found;
}

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `ecert-hub demo` on a free port with a new data directory and
 * waits until GET /healthz returns 200. Returns the base URL, the demo
 * credentials, and `stop()`, which ends the process and removes the data.
 */
export async function startHub() {
  const binary = hubBinary();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ecert-e2e-'));
  const args = ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--public-base-url', base];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + HUB_START_TIMEOUT_MS;
  let healthy = false;
  while (!healthy && Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`ecert-hub demo exited with ${child.exitCode ?? child.signalCode} before serving:\n${output}`);
    }
    try {
      const response = await fetch(`${base}/healthz`);
      healthy = response.ok;
    } catch {
      // Not listening yet: the demo seeds its data first.
    }
    if (!healthy) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  if (!healthy) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`ecert-hub demo did not answer ${base}/healthz within ${HUB_START_TIMEOUT_MS / 1000} s:\n${output}`);
  }

  const credentials = JSON.parse(await readFile(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  return { base, port, dataDir, credentials, stop, log: () => output };
}

/** Returns the demo's portal user `username` ({username, password, display_name, role, country}). */
export function portalUser(credentials, username) {
  const user = credentials.portal_users.find((u) => u.username === username);
  assert.ok(user, `demo-credentials.json lists no portal user ${username}`);
  return user;
}

/**
 * Launches headless Chromium. Playwright gives each launch a new empty
 * profile directory (--user-data-dir) of its own and deletes it on close.
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing; install Debian's chromium package ('apt-get install -y chromium')`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Records what the pages of one browser context do: console errors,
 * uncaught exceptions, requests to hosts other than 127.0.0.1, and the
 * bytes each page load transfers.
 */
export class PageMonitor {
  constructor(base) {
    this.origin = new URL(base).origin;
    this.problems = [];
    this.consoleErrors = [];
    this.documentResponses = new Set();
    this.loads = [];
    this.pending = [];
  }

  /** Attaches the monitor to a context; pages opened later are watched too. */
  async attach(context) {
    // A request to any other host is aborted before it leaves the browser
    // and fails the test through `problems`.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') {
        return route.continue();
      }
      return route.abort('blockedbyclient');
    });
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.hostname !== '127.0.0.1') {
        this.problems.push(`request to another host: ${request.method()} ${request.url()}`);
      }
    });
    context.on('requestfinished', (request) => {
      this.pending.push(this.#count(request));
    });
    context.on('page', (page) => this.#watchPage(page));
    for (const page of context.pages()) {
      this.#watchPage(page);
    }
  }

  #watchPage(page) {
    page.on('console', (message) => {
      if (message.type() === 'error') {
        this.consoleErrors.push({ page: page.url(), text: message.text(), url: message.location().url });
      }
    });
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
        this.documentResponses.add(`${response.status()} ${response.url()}`);
      }
    });
    page.on('pageerror', (error) => {
      this.problems.push(`uncaught exception on ${page.url()}: ${error.message}`);
    });
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.loads.push({ page, url: request.url(), bytes: 0, contentType: null, requests: [] });
      }
    });
  }

  /** Adds a finished request's transferred body size to its page's current load. */
  async #count(request) {
    const page = request.frame()?.page();
    const load = this.loads.findLast((l) => l.page === page);
    if (!load) {
      return;
    }
    const sizes = await request.sizes();
    const response = await request.response();
    load.bytes += Math.max(sizes.responseBodySize, 0);
    load.requests.push(request.url());
    if (request.isNavigationRequest()) {
      load.contentType = response?.headers()['content-type'] ?? null;
    }
  }

  /**
   * Asserts that nothing went wrong so far: no console errors, no foreign
   * requests, and every HTML page load under `maxPageBytes`. Downloads
   * (a PDF sent in response to a navigation) are not pages and are not weighed.
   */
  async assertClean({ maxPageBytes = MAX_PAGE_BYTES } = {}) {
    await Promise.all(this.pending);
    const consoleProblems = this.consoleErrors
      .filter((error) => !this.#isDocumentStatus(error))
      .map((error) => `console error on ${error.page}: ${error.text}`);
    assert.deepEqual([...this.problems, ...consoleProblems], [], 'the pages reported problems');
    const pages = this.loads.filter((load) => load.contentType?.startsWith('text/html'));
    assert.ok(pages.length > 0, 'the monitor saw no HTML page load');
    for (const load of pages) {
      assert.ok(
        load.bytes < maxPageBytes,
        `${load.url} transferred ${load.bytes} bytes (limit ${maxPageBytes}): ${load.requests.join(', ')}`,
      );
    }
  }

  /**
   * Tells whether a console error is Chromium's report of the status of a
   * page's own document, such as the 401 returned for a wrong password.
   * The tests check those pages by their text; an error status of a
   * stylesheet, image or other subresource still fails the check.
   */
  #isDocumentStatus(error) {
    const status = error.text.match(/^Failed to load resource: the server responded with a status of (\d+) /);
    return status !== null && this.documentResponses.has(`${status[1]} ${error.url}`);
  }

  /** Returns the HTML page loads seen so far, as `{url, bytes}`. */
  pageLoads() {
    return this.loads.filter((l) => l.contentType?.startsWith('text/html')).map(({ url, bytes }) => ({ url, bytes }));
  }
}

/**
 * Opens a new browser context (fresh cookies) with a 1280 x 900 viewport
 * and the given locale, which sets Accept-Language. Returns the context,
 * one page in it and the monitor watching it.
 */
export async function openContext(browser, base, locale) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale,
    acceptDownloads: true,
    timezoneId: 'UTC',
  });
  const monitor = new PageMonitor(base);
  await monitor.attach(context);
  const page = await context.newPage();
  return { context, page, monitor };
}

/** Clicks `locator` (a submit button or link) and waits until the page it leads to has loaded. */
export async function clickAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
}

/** Fills and submits the login form on the current page. */
export async function submitLogin(page, username, password) {
  await page.locator('#f-username').fill(username);
  await page.locator('#f-password').fill(password);
  await clickAndWait(page, page.locator('form[action="/portal/login"] button[type="submit"]'));
}

/** Opens the login page in `lang` and logs in; asserts that the portal's home page opened. */
export async function logIn(page, base, user, lang) {
  await page.goto(`${base}/portal/login?lang=${lang}`);
  await submitLogin(page, user.username, user.password);
  assert.equal(page.url(), `${base}/portal`, `login of ${user.username} did not reach the home page`);
}

/**
 * Saves a full-page PNG to docs/screenshots/NAME.png when
 * ECERT_SCREENSHOTS=1, re-encoded with a 256-colour palette to keep the
 * files small (see png.mjs).
 */
export async function screenshot(page, name) {
  if (process.env.ECERT_SCREENSHOTS !== '1') {
    return;
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  await writeFile(path.join(SCREENSHOT_DIR, `${name}.png`), recompressPng(png));
}

/** Returns the trimmed visible text of the first element that matches `selector`. */
export async function textOf(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}
