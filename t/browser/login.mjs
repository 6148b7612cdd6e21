// mod_otp in a real browser: Debian's chromium, headless, driven by playwright-core.
//
//   node login.mjs --base http://127.0.0.1:8529 --out DIR \
//        --js-user bea --js-code 123456 --nojs-user nils --nojs-code 654321
//
// With JavaScript and without, it opens BASE/app/, checks it got the OTP page (401,
// autocomplete="one-time-code"), screenshots it, types the user name and the code (computed
// by the caller with oathtool), submits with the button and checks it lands on /app/ with the
// protected content. With JavaScript the code must go through the JSON endpoint and the page
// must say "verified" and "Redirecting..."; without, through the form post and its 303.
// Then it renders the page in Swedish (?otp_lang=sv) and screenshots it.
//
// Screenshots (PNG) in DIR: otp-en-js.png, otp-en-nojs.png, otp-sv.png, and, when the
// 700 ms window allows, otp-en-js-verified.png. One line per check on stdout ("ok - ...",
// "not ok - ..."); exit status 0 only when every check passed.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { STEP_TIMEOUT_MS, check, require_, newContext, runScenarios, screenshot } from './common.mjs';

const APP_TEXT = 'the application';

const { values: opt } = parseArgs({
    options: {
        base: { type: 'string' },
        out: { type: 'string' },
        'js-user': { type: 'string' },
        'js-code': { type: 'string' },
        'nojs-user': { type: 'string' },
        'nojs-code': { type: 'string' },
        // Delivered codes: the location, the file the test sender writes, and two users.
        'delivered-path': { type: 'string' },
        'sent-file': { type: 'string' },
        'delivered-js-user': { type: 'string' },
        'delivered-nojs-user': { type: 'string' },
    },
});
for (const name of ['base', 'out', 'js-user', 'js-code', 'nojs-user', 'nojs-code']) {
    if (!opt[name]) {
        console.error(`usage: node login.mjs --base URL --out DIR --js-user U --js-code C ` +
                      `--nojs-user U --nojs-code C   (missing --${name})`);
        process.exit(2);
    }
}
const base = opt.base.replace(/\/+$/, '');
mkdirSync(opt.out, { recursive: true });

// Checks common to every rendering of the OTP page.
async function checkOtpPage(page, response, label) {
    require_(response !== null, `${label}: got an answer`);
    check(response.status() === 401, `${label}: status 401`, `got ${response.status()}`);
    const type = response.headers()['content-type'] || '';
    check(type.startsWith('text/html'), `${label}: HTML page`, `Content-Type ${type}`);
    require_(await page.locator('#otp-form').count() === 1, `${label}: the OTP form is there`);
    const autocomplete = await page.locator('#otp').getAttribute('autocomplete');
    check(autocomplete === 'one-time-code', `${label}: code field has autocomplete="one-time-code"`,
          `got ${JSON.stringify(autocomplete)}`);
    check(await page.locator('#otp-user').count() === 1, `${label}: asks for the user name`);
    const text = await page.locator('body').innerText();
    check(!/otp_validation\.|allow-cookies-|\{\{/.test(text),
          `${label}: no raw translation keys or placeholders on the page`,
          (text.match(/.*(otp_validation\.|allow-cookies-|\{\{).*/) || [''])[0]);
    return text;
}

// One login with a fresh context (fresh cookies). Returns nothing; records checks.
async function login(browser, { javaScript, user, code, shot }) {
    const label = javaScript ? 'with JavaScript' : 'without JavaScript';
    const context = await newContext(browser, javaScript);
    try {
        const page = await context.newPage();
        // Every answer of the start endpoint, redirects included.
        const starts = [];
        page.on('response', (res) => {
            if (new URL(res.url()).pathname.endsWith('/.otp/start')) {
                starts.push({ status: res.status(), type: res.request().headers()['content-type'] || '',
                              location: res.headers()['location'] || '' });
            }
        });
        // What the status region said, in order (the page navigates away right after).
        const said = [];
        if (javaScript) {
            await page.exposeFunction('__otpStatus', (text) => { said.push(text); });
            await page.addInitScript(() => {
                document.addEventListener('DOMContentLoaded', () => {
                    const status = document.getElementById('otp-status');
                    if (!status) return;
                    new MutationObserver(() => window.__otpStatus(status.textContent))
                        .observe(status, { childList: true, characterData: true, subtree: true });
                });
            });
        }

        const response = await page.goto(`${base}/app/`, { waitUntil: 'load' });
        const text = await checkOtpPage(page, response, `${label}, en`);
        check(text.includes('One-time password'), `${label}: English page`);
        await screenshot(page, opt.out, shot);

        await page.fill('#otp-user', user);
        await page.fill('#otp', code);
        console.log(`# ${label}: typed user ${user} and the code from oathtool`);

        const landed = page.waitForURL((url) => url.pathname === '/app/' && starts.length > 0,
                                       { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
        landed.catch(() => {});  // awaited below; no unhandled rejection meanwhile
        await page.click('#otp-submit');
        if (javaScript) {
            const verified = page.locator('#otp-status', { hasText: 'One-time password verified' });
            try {
                await verified.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
                check(true, `${label}: the page says "One-time password verified"`);
                // The page waits 700 ms before it leaves: enough for a picture, usually.
                const path = await screenshot(page, opt.out, shot.replace(/\.png$/, '-verified.png'));
                if (!said.some((s) => s.includes('Redirecting'))
                    && await verified.count() === 1) {
                    console.log('# the "verified" screenshot shows the verified state');
                } else {
                    rmSync(path, { force: true });
                    console.log('# the page left before the "verified" screenshot: dropped it');
                }
            } catch (e) {
                check(false, `${label}: the page says "One-time password verified"`,
                      e.message.split('\n')[0]);
            }
        }
        try {
            await landed;
        } catch (e) {
            const status = await page.locator('#otp-status').textContent().catch(() => '?');
            require_(false, `${label}: landed on /app/`,
                     `still at ${page.url()}, status region says ${JSON.stringify(status)}`);
        }
        check(new URL(page.url()).pathname === '/app/', `${label}: the URL is /app/`, page.url());
        const content = page.getByText(APP_TEXT);
        try {
            await content.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
            check(true, `${label}: sees the protected content "${APP_TEXT}"`);
        } catch (e) {
            const body = await page.locator('body').innerText().catch(() => '?');
            check(false, `${label}: sees the protected content "${APP_TEXT}"`,
                  `page says ${JSON.stringify(body.slice(0, 200))}`);
        }
        check(starts.length === 1, `${label}: exactly one request to .otp/start`,
              JSON.stringify(starts));
        const start = starts[0] || {};
        if (javaScript) {
            check(start.status === 200 && start.type.startsWith('application/json'),
                  `${label}: the code went through the JSON endpoint (200)`, JSON.stringify(start));
            check(said.some((s) => s.includes('One-time password verified'))
                  && said.some((s) => s.includes('Redirecting...')),
                  `${label}: the status region said "verified", then "Redirecting..."`,
                  JSON.stringify(said));
        } else {
            check(start.status === 303
                  && start.type.startsWith('application/x-www-form-urlencoded')
                  && start.location === '/app/',
                  `${label}: the code went through the form post (303 to /app/)`,
                  JSON.stringify(start));
        }
        const cookies = await context.cookies(`${base}/app/`);
        check(cookies.some((c) => c.name === 'otp_session' && c.httpOnly),
              `${label}: HttpOnly session cookie set`);
    } finally {
        await context.close();
    }
}

// The code the test sender was given for `user` (waits for it), or null.
async function sentCode(user) {
    for (let i = 0; i < 100; i++) {
        let lines = [];
        try { lines = readFileSync(opt['sent-file'], 'utf8').split('\n').filter(Boolean); } catch (e) { /* not yet */ }
        const mine = lines.map((l) => JSON.parse(l)).filter((r) => r.user === user);
        if (mine.length) return mine[mine.length - 1].otp;
        await new Promise((done) => setTimeout(done, 100));
    }
    return null;
}

// Delivered codes with AuthType OTP: the user name first, "Send code", then the code field
// with the code the sender got, then the content.
async function delivered(browser, { javaScript, user }) {
    const label = `delivered code ${javaScript ? 'with' : 'without'} JavaScript`;
    const path = opt['delivered-path'];
    const context = await newContext(browser, javaScript);
    try {
        const page = await context.newPage();
        const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
        require_(response !== null && response.status() === 401, `${label}: the page (401)`);
        check(await page.locator('#otp').isHidden(), `${label}: no code field before a code was sent`);
        await page.fill('#otp-user', user);
        if (javaScript) {
            await page.click('#otp-send');
            await page.locator('#otp').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
        } else {
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#otp-send')]);
        }
        require_(await page.locator('#otp').isVisible(), `${label}: the code field after "Send code"`);
        check(/A code has been sent/.test(await page.locator('#otp-status').innerText()),
              `${label}: the page says a code was sent`);
        const code = await sentCode(user);
        require_(code !== null, `${label}: the sender got a code for ${user}`);
        await page.fill('#otp', code);
        const landed = page.waitForURL((url) => url.pathname === path, { waitUntil: 'load' });
        landed.catch(() => {});
        await page.click('#otp-submit');
        try {
            await landed;
            await page.getByText('delivered content').first().waitFor({ state: 'visible' });
            check(true, `${label}: logged in with the sent code, sees the content`);
        } catch (e) {
            const status = await page.locator('#otp-status').textContent().catch(() => '?');
            check(false, `${label}: logged in with the sent code, sees the content`,
                  `at ${page.url()}, status ${JSON.stringify(status)}`);
        }
    } finally {
        await context.close();
    }
}

async function swedish(browser) {
    const label = 'Swedish';
    const context = await newContext(browser, true);
    try {
        const page = await context.newPage();
        const response = await page.goto(`${base}/app/?otp_lang=sv`, { waitUntil: 'load' });
        const text = await checkOtpPage(page, response, label);
        check(await page.locator('html').getAttribute('lang') === 'sv', `${label}: <html lang="sv">`);
        check(text.includes('Engångslösenord'), `${label}: the page says "Engångslösenord"`,
              JSON.stringify(text.slice(0, 200)));
        check(!text.includes('One-time password'), `${label}: no English "One-time password"`);
        await screenshot(page, opt.out, 'otp-sv.png');
    } finally {
        await context.close();
    }
}

const scenarios = [
    (browser) => login(browser, { javaScript: true, user: opt['js-user'], code: opt['js-code'],
                                  shot: 'otp-en-js.png' }),
    (browser) => login(browser, { javaScript: false, user: opt['nojs-user'], code: opt['nojs-code'],
                                  shot: 'otp-en-nojs.png' }),
    swedish,
];
if (opt['delivered-path']) {
    scenarios.push((browser) => delivered(browser, { javaScript: true, user: opt['delivered-js-user'] }));
    scenarios.push((browser) => delivered(browser, { javaScript: false, user: opt['delivered-nojs-user'] }));
}
await runScenarios(`base ${base}`, scenarios);
