// Login and logout in English and Russian, and keyboard navigation of the
// login form.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { clickAndWait, launchBrowser, openContext, portalUser, screenshot, startHub, submitLogin, textOf } from './harness.mjs';

let hub;
let browser;

before(async () => {
  hub = await startHub();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

const LANGUAGES = [
  {
    lang: 'en',
    locale: 'en-US',
    username: 'uz.admin',
    heading: 'Log in to the portal',
    wrong: 'Wrong user name or password.',
    welcome: 'Welcome, ',
    logout: 'Log out',
    loggedOut: 'You have logged out.',
  },
  {
    lang: 'ru',
    locale: 'ru-RU',
    username: 'kg.admin',
    heading: 'Вход в портал',
    wrong: 'Неверное имя пользователя или пароль.',
    welcome: 'Здравствуйте, ',
    logout: 'Выйти',
    loggedOut: 'Вы вышли из портала.',
  },
];

for (const ui of LANGUAGES) {
  test(`login and logout in ${ui.lang}`, async () => {
    const user = portalUser(hub.credentials, ui.username);
    const { context, page, monitor } = await openContext(browser, hub.base, ui.locale);
    try {
      // Not logged in: the portal sends the browser to the login page.
      await page.goto(`${hub.base}/portal`);
      assert.equal(page.url(), `${hub.base}/portal/login?next=%2Fportal`);
      assert.equal(await page.locator('html').getAttribute('lang'), ui.lang);
      assert.equal(await textOf(page, 'h1'), ui.heading);
      if (ui.lang === 'ru') {
        await screenshot(page, 'login-ru');
      }

      // A wrong password shows the error and keeps the user name.
      await submitLogin(page, user.username, `${user.password}-wrong`);
      assert.equal(page.url(), `${hub.base}/portal/login`);
      assert.equal(await textOf(page, '#login-notice'), ui.wrong);
      assert.equal(await page.locator('#f-username').inputValue(), user.username);
      assert.equal(await page.locator('#f-password').inputValue(), '');

      // The right password opens the home page with the user's name.
      await submitLogin(page, user.username, user.password);
      assert.equal(page.url(), `${hub.base}/portal`);
      assert.equal(await textOf(page, 'h1'), `${ui.welcome}${user.display_name}`);
      assert.match(await textOf(page, '.user-box'), new RegExp(`^${user.display_name.replace(/[()]/g, '\\$&')} · `));
      assert.equal(await page.locator('html').getAttribute('lang'), ui.lang);

      // Logout shows the login page with a notice.
      const logout = page.locator('form[action="/portal/logout"] button');
      assert.equal((await logout.innerText()).trim(), ui.logout);
      await clickAndWait(page, logout);
      assert.equal(page.url(), `${hub.base}/portal/logout`);
      assert.equal(await textOf(page, 'h1'), ui.heading);
      assert.equal(await textOf(page, '#login-notice'), ui.loggedOut);

      // The session has ended, so the portal redirects to the login page again.
      await page.goto(`${hub.base}/portal/documents`);
      assert.equal(page.url(), `${hub.base}/portal/login?next=%2Fportal%2Fdocuments`);
      await page.goto(`${hub.base}/portal`);
      assert.equal(page.url(), `${hub.base}/portal/login?next=%2Fportal`);
      assert.equal(await textOf(page, 'h1'), ui.heading);

      await monitor.assertClean();
    } finally {
      await context.close();
    }
  });
}

test('login page language switch keeps the return path', async () => {
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await page.goto(`${hub.base}/portal/verify`);
    assert.equal(page.url(), `${hub.base}/portal/login?next=%2Fportal%2Fverify`);
    assert.equal(await textOf(page, 'h1'), 'Log in to the portal');

    await clickAndWait(page, page.locator('.lang-switch a[hreflang="ru"]'));
    assert.equal(page.url(), `${hub.base}/portal/login?lang=ru&next=%2Fportal%2Fverify`);
    assert.equal(await textOf(page, 'h1'), 'Вход в портал');
    assert.equal(await page.locator('.lang-switch a[aria-current="true"]').getAttribute('hreflang'), 'ru');

    // Logging in from the Russian page returns to the page first asked for.
    const user = portalUser(hub.credentials, 'uz.customs');
    await submitLogin(page, user.username, user.password);
    assert.equal(page.url(), `${hub.base}/portal/verify`);
    assert.equal(await textOf(page, 'h1'), 'Verify a certificate or test report');

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});

test('keyboard alone moves through the login form and logs in', async () => {
  const user = portalUser(hub.credentials, 'tj.cab');
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await page.goto(`${hub.base}/portal/login`);
    const focused = () => page.evaluate(() => {
      const element = document.activeElement;
      return element ? `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}:${element.getAttribute('type') ?? ''}` : 'none';
    });

    // From the top of the page, Tab passes the skip link, the site name and
    // the language links, then reaches the user name field.
    const before = [];
    for (let i = 0; i < 10 && (await focused()) !== 'input#f-username:text'; i += 1) {
      await page.keyboard.press('Tab');
      before.push(await focused());
    }
    assert.equal(before.at(-1), 'input#f-username:text', `Tab never reached the user name field: ${before.join(' → ')}`);
    assert.equal(before[0], 'a:', 'the first Tab stop is the skip link');

    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'input#f-password:password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'button:submit');
    assert.equal((await page.evaluate(() => document.activeElement.textContent)).trim(), 'Log in');

    // Shift+Tab goes back to the password field, and Enter submits the form.
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'input#f-password:password');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    assert.equal(page.url(), `${hub.base}/portal`);
    assert.equal(await textOf(page, 'h1'), `Welcome, ${user.display_name}`);

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});

test('page monitor reports each kind of problem', async () => {
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await page.goto(`${hub.base}/portal/login`);
    await monitor.assertClean();
    const [load] = monitor.pageLoads();
    assert.ok(load.bytes > 1000, `the login page and its stylesheet weigh only ${load.bytes} bytes`);

    // A lower weight limit fails on the same page.
    await assert.rejects(monitor.assertClean({ maxPageBytes: 1000 }), /transferred \d+ bytes \(limit 1000\)/);

    // A console error fails the check.
    await page.evaluate(() => console.error('planted error'));
    await assert.rejects(monitor.assertClean(), /console error on .*planted error/);
    monitor.consoleErrors.length = 0;

    // So does a request to another host: the same server under the name
    // localhost counts as another host, and the request is aborted.
    const foreign = `http://localhost:${hub.port}/portal/login`;
    await assert.rejects(page.goto(foreign));
    await assert.rejects(monitor.assertClean(), new RegExp(`request to another host: GET ${foreign.replace(/[.]/g, '\\.')}`));
  } finally {
    await context.close();
  }
});
