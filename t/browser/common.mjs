// What the real-browser scripts (login.mjs, portal.mjs) share: Debian's chromium, headless,
// driven by playwright-core; one line per check on stdout ("ok - ...", "not ok - ..."),
// screenshots, browser contexts, and the run of the scenarios, which ends with
// "# all checks passed" (or "# N check(s) failed") and exit status 0 only when every check
// passed.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

export const STEP_TIMEOUT_MS = 20_000;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let failures = 0;
export function check(ok, what, detail = '') {
    if (ok) {
        console.log(`ok - ${what}`);
    } else {
        failures++;
        console.log(`not ok - ${what}${detail ? `: ${detail}` : ''}`);
    }
    return ok;
}
// A step that must work for the rest of its scenario to make sense.
export class StepFailed extends Error {}
export function require_(ok, what, detail) {
    if (!check(ok, what, detail)) throw new StepFailed(what);
}

// A full-page screenshot `name` in the directory `dir`; returns its path.
export async function screenshot(page, dir, name) {
    const path = join(dir, name);
    await page.screenshot({ path, fullPage: true, timeout: STEP_TIMEOUT_MS });
    console.log(`# screenshot: ${path}`);
    return path;
}

// A fresh context (fresh cookies), English unless `options` say otherwise; `options` are
// more of playwright's context options.
export async function newContext(browser, javaScriptEnabled, options = {}) {
    const context = await browser.newContext({
        javaScriptEnabled,
        locale: 'en-US',
        viewport: { width: 1000, height: 760 },
        deviceScaleFactor: 1,
        colorScheme: 'light',
        ...options,
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    return context;
}

// Starts chromium, runs each scenario (an async function of the browser; a StepFailed ends
// only its own scenario), prints the verdict and exits with it. `where` is said in the
// first line, after the browser's version.
export async function runScenarios(where, scenarios) {
    const started = Date.now();
    let browser;
    // A hung browser must not hang the suite.
    const watchdog = setTimeout(() => {
        console.log('not ok - the browser test finished within 120 s');
        process.exit(1);
    }, 120_000);
    try {
        // launch() gives chromium a fresh temporary profile (user data dir) and removes it on close.
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            timeout: STEP_TIMEOUT_MS,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                   '--disable-background-networking', '--disable-component-update', '--disable-sync',
                   '--disable-dev-shm-usage'],
        });
        console.log(`# ${CHROMIUM} ${browser.version()}, playwright-core, ${where}`);
        for (const scenario of scenarios) {
            try {
                await scenario(browser);
            } catch (e) {
                if (!(e instanceof StepFailed)) check(false, 'no unexpected error', e.stack || String(e));
            }
        }
    } catch (e) {
        check(false, 'chromium starts', e.stack || String(e));
    } finally {
        if (browser) await browser.close().catch(() => {});
        clearTimeout(watchdog);
    }
    console.log(`# ${failures === 0 ? 'all checks passed' : `${failures} check(s) failed`} ` +
                `in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exit(failures === 0 ? 0 : 1);
}
