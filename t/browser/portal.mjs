// mod_otp's two-way portal page in a real browser: Debian's chromium, headless, driven by
// playwright-core (t/twoway/50_browser.t runs it against a server of its own).
//
//   node portal.mjs --base http://127.0.0.1:8529 --path /portal --out DIR \
//        --user bella --password PW --js-code 123456 --nojs-code 654321 [--wrong-code 000000]
//
// The portal is behind AuthType Basic: every context logs in with httpCredentials (the page's
// 401 challenge, answered by the browser). The caller made the client codes with init.
//  - With JavaScript: opens PATH, checks the page (200, English, the user, the code field),
//    screenshots it, types --wrong-code and must see the error in place (no navigation), then
//    types --js-code and must see the response in #twoway-response, fetched as JSON without
//    leaving the page.
//  - Without JavaScript: the same with --nojs-code through the form post, whose answer is the
//    page with the response.
//  - In Swedish (Accept-Language: sv): the page says "Koppla din app", no English.
// Prints "# response-js: CODE" and "# response-nojs: CODE" (the caller completes the flows
// with them), one line per check ("ok - ...", "not ok - ..."), and "# all checks passed" at
// the end; exit status 0 only when every check passed. Screenshots (PNG) in DIR:
// portal-en-js.png, portal-en-js-response.png, portal-en-nojs.png,
// portal-en-nojs-response.png, portal-sv.png.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { STEP_TIMEOUT_MS, check, require_, newContext as contextOf, runScenarios,
         screenshot } from './common.mjs';

const { values: opt } = parseArgs({
    options: {
        base: { type: 'string' },
        path: { type: 'string' },
        out: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'js-code': { type: 'string' },
        'nojs-code': { type: 'string' },
        'wrong-code': { type: 'string' },
    },
});
for (const name of ['base', 'path', 'out', 'user', 'password', 'js-code', 'nojs-code']) {
    if (!opt[name]) {
        console.error('usage: node portal.mjs --base URL --path /portal --out DIR --user U --password P ' +
                      `--js-code C --nojs-code C [--wrong-code C]   (missing --${name})`);
        process.exit(2);
    }
}
const base = opt.base.replace(/\/+$/, '');
const url = `${base}${opt.path}`;
mkdirSync(opt.out, { recursive: true });

// Every context logs in at the portal (Basic, httpCredentials).
function newContext(browser, javaScriptEnabled, { locale = 'en-US', headers = {} } = {}) {
    return contextOf(browser, javaScriptEnabled, {
        locale,
        extraHTTPHeaders: headers,
        httpCredentials: { username: opt.user, password: opt.password },
    });
}

// Every POST to the portal: its Content-Type and the status of its answer.
function watchPosts(page) {
    const posts = [];
    page.on('response', (res) => {
        const req = res.request();
        if (req.method() === 'POST' && new URL(res.url()).pathname === opt.path) {
            posts.push({ status: res.status(), type: req.headers()['content-type'] || '',
                         navigation: req.isNavigationRequest() });
        }
    });
    return posts;
}

// Checks common to every rendering of the page; returns its text.
async function checkPage(page, response, label) {
    require_(response !== null, `${label}: got an answer`);
    check(response.status() === 200, `${label}: status 200 (logged in with Basic)`, `got ${response.status()}`);
    const type = response.headers()['content-type'] || '';
    check(type.startsWith('text/html'), `${label}: HTML page`, `Content-Type ${type}`);
    require_(await page.locator('#twoway-form').count() === 1, `${label}: the form is there`);
    require_(await page.locator('#twoway-code').isVisible(), `${label}: the code field is visible`);
    check(await page.locator('#twoway-result').isHidden(), `${label}: no response shown yet`);
    const user = await page.locator('#twoway-user').innerText().catch(() => '');
    check(user.includes(opt.user), `${label}: shows the portal user ${opt.user}`, JSON.stringify(user));
    const text = await page.locator('body').innerText();
    check(!/twoway\.|otp_validation\.|\{\{/.test(text), `${label}: no raw translation keys or placeholders`,
          (text.match(/.*(twoway\.|otp_validation\.|\{\{).*/) || [''])[0]);
    return text;
}

// The response the page shows, once it shows one.
async function shownResponse(page, label) {
    const shown = page.locator('#twoway-response');
    try {
        await shown.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    } catch (e) {
        const status = await page.locator('#twoway-status').innerText().catch(() => '?');
        require_(false, `${label}: the response is shown`, `status region says ${JSON.stringify(status)}`);
    }
    const response = (await shown.innerText()).trim();
    require_(/^[0-9A-Za-z]{4,16}$/.test(response), `${label}: the response is shown in #twoway-response`,
             JSON.stringify(response));
    check(await page.locator('#twoway-form').isHidden(), `${label}: the form is gone`);
    return response;
}

async function withJavaScript(browser) {
    const label = 'with JavaScript';
    const context = await newContext(browser, true);
    try {
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        // Script errors and CSP refusals; not the failed loads the browser also reports here
        // (the 410 of the wrong code, the favicon's 404).
        page.on('console', (m) => {
            if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
        });
        let navigations = 0;
        page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
        const posts = watchPosts(page);
        const response = await page.goto(url, { waitUntil: 'load' });
        const text = await checkPage(page, response, `${label}, en`);
        check(text.includes('Connect your app'), `${label}: English page ("Connect your app")`);
        await screenshot(page, opt.out, 'portal-en-js.png');
        const loaded = navigations;

        if (opt['wrong-code']) {
            await page.fill('#twoway-code', opt['wrong-code']);
            await page.click('#twoway-submit');
            const error = page.locator('#twoway-status', { hasText: 'The code is not valid' });
            try {
                await error.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
                check(true, `${label}: a wrong code: the page says "The code is not valid..."`);
            } catch (e) {
                check(false, `${label}: a wrong code: the page says "The code is not valid..."`,
                      JSON.stringify(await page.locator('#twoway-status').innerText().catch(() => '?')));
            }
            check(await page.locator('#twoway-code').getAttribute('aria-invalid') === 'true',
                  `${label}: ... the field is marked invalid`);
            check(navigations === loaded, `${label}: ... without leaving the page`, `${navigations - loaded} navigation(s)`);
            check(posts.length === 1 && posts[0].status === 410 && posts[0].type.startsWith('application/json'),
                  `${label}: ... it went as JSON (410)`, JSON.stringify(posts));
        }

        await page.fill('#twoway-code', opt['js-code']);
        console.log(`# ${label}: typed the client code`);
        await page.click('#twoway-submit');
        const shown = await shownResponse(page, label);
        console.log(`# response-js: ${shown}`);
        await screenshot(page, opt.out, 'portal-en-js-response.png');
        check(navigations === loaded, `${label}: the response came without leaving the page`,
              `${navigations - loaded} navigation(s)`);
        const last = posts[posts.length - 1] || {};
        check(last.status === 200 && last.type.startsWith('application/json') && !last.navigation,
              `${label}: the code went as JSON (fetch, 200)`, JSON.stringify(posts));
        check(errors.length === 0, `${label}: no script errors (CSP allows the page's script)`, JSON.stringify(errors));
    } finally {
        await context.close();
    }
}

async function withoutJavaScript(browser) {
    const label = 'without JavaScript';
    const context = await newContext(browser, false);
    try {
        const page = await context.newPage();
        const posts = watchPosts(page);
        const response = await page.goto(url, { waitUntil: 'load' });
        const text = await checkPage(page, response, `${label}, en`);
        check(text.includes('Connect your app'), `${label}: English page`);
        await screenshot(page, opt.out, 'portal-en-nojs.png');
        await page.fill('#twoway-code', opt['nojs-code']);
        console.log(`# ${label}: typed the client code`);
        const [answer] = await Promise.all([
            page.waitForNavigation({ waitUntil: 'load' }),
            page.click('#twoway-submit'),
        ]);
        check(answer !== null && answer.status() === 200, `${label}: the form post answered 200`,
              answer ? `got ${answer.status()}` : 'no answer');
        check(new URL(page.url()).pathname === opt.path, `${label}: back on the portal page`, page.url());
        const shown = await shownResponse(page, label);
        console.log(`# response-nojs: ${shown}`);
        await screenshot(page, opt.out, 'portal-en-nojs-response.png');
        check(posts.length === 1 && posts[0].type.startsWith('application/x-www-form-urlencoded') && posts[0].navigation,
              `${label}: the code went through the form post`, JSON.stringify(posts));
    } finally {
        await context.close();
    }
}

async function swedish(browser) {
    const label = 'Swedish';
    const context = await newContext(browser, true, { locale: 'sv-SE', headers: { 'Accept-Language': 'sv' } });
    try {
        const page = await context.newPage();
        const response = await page.goto(url, { waitUntil: 'load' });
        const text = await checkPage(page, response, label);
        check(await page.locator('html').getAttribute('lang') === 'sv', `${label}: <html lang="sv">`);
        check(text.includes('Koppla din app'), `${label}: the page says "Koppla din app"`, JSON.stringify(text.slice(0, 200)));
        check((await page.locator('#twoway-submit').innerText()).includes('Visa svarskoden'),
              `${label}: the button says "Visa svarskoden"`);
        check(!text.includes('Connect your app'), `${label}: no English "Connect your app"`);
        await screenshot(page, opt.out, 'portal-sv.png');
    } finally {
        await context.close();
    }
}

await runScenarios(url, [withJavaScript, withoutJavaScript, swedish]);
