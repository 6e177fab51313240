// Wrong passwords slow down further logins to the account from unknown
// browsers, while a browser that logged in to the account before (it stores
// the device cookie) logs in at once, and the right password works
// everywhere once the wait is over.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { clickAndWait, launchBrowser, logIn, openContext, portalUser, startHub, submitLogin, textOf } from './harness.mjs';

/** Wrong passwords to try before giving up on seeing a delay. */
const MAX_GUESSES = 10;

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

test('wrong passwords slow the guesser but not the known browser', async () => {
  const user = portalUser(hub.credentials, 'az.admin');
  const owner = await openContext(browser, hub.base, 'en-US');
  const guesser = await openContext(browser, hub.base, 'en-US');
  const russian = await openContext(browser, hub.base, 'ru-RU');
  try {
    // The owner logs in once, which leaves the device cookie, and logs out.
    await logIn(owner.page, hub.base, user, 'en');
    const device = (await owner.context.cookies()).find((c) => c.name.endsWith('ecert_device'));
    assert.ok(device, 'the login set no device cookie');
    await clickAndWait(owner.page, owner.page.locator('form[action="/portal/logout"] button'));
    assert.equal(await textOf(owner.page, '#login-notice'), 'You have logged out.');

    // A fresh browser guesses until the page shows a wait.
    await guesser.page.goto(`${hub.base}/portal/login?lang=en`);
    let notice = '';
    let guesses = 0;
    while (guesses < MAX_GUESSES && !notice.startsWith('Too many wrong passwords.')) {
      guesses += 1;
      await submitLogin(guesser.page, user.username, `guess number ${guesses}`);
      notice = await textOf(guesser.page, '#login-notice');
      if (!notice.startsWith('Too many wrong passwords.')) {
        assert.equal(notice, 'Wrong user name or password.', `guess ${guesses}`);
      }
    }
    const wait = notice.match(/^Too many wrong passwords\. Wait (\d+) s and try again\.$/);
    assert.ok(wait, `no delay after ${guesses} wrong passwords; the page said: ${notice}`);
    assert.ok(guesses > 1, 'the first wrong password was already delayed');
    const seconds = Number(wait[1]);
    assert.ok(seconds >= 1, `wait of ${seconds} s`);
    assert.ok(seconds <= 60, `wait of ${seconds} s is longer than the hub's maximum of 60 s`);
    const waitStarted = Date.now();
    assert.equal(guesser.page.url(), `${hub.base}/portal/login`);

    // While the delay lasts, even the right password waits in an unknown
    // browser, and the Russian page shows the wait in Russian.
    await russian.page.goto(`${hub.base}/portal/login?lang=ru`);
    await submitLogin(russian.page, user.username, user.password);
    const russianNotice = await textOf(russian.page, '#login-notice');
    const russianWait = russianNotice.match(/^Слишком много неверных паролей\. Подождите (\d+)\s(секунду|секунды|секунд) и попробуйте снова\.$/);
    assert.ok(russianWait, `the Russian page said: ${russianNotice}`);
    const secondsWord = { one: 'секунду', few: 'секунды', many: 'секунд' };
    assert.equal(russianWait[2], secondsWord[new Intl.PluralRules('ru').select(Number(russianWait[1]))], 'noun agrees with the number');
    assert.equal(russian.page.url(), `${hub.base}/portal/login`);

    // The owner's browser logs in at once.
    await owner.page.goto(`${hub.base}/portal/login?lang=en`);
    await submitLogin(owner.page, user.username, user.password);
    assert.equal(owner.page.url(), `${hub.base}/portal`);
    assert.equal(await textOf(owner.page, 'h1'), `Welcome, ${user.display_name}`);
    assert.ok(Date.now() - waitStarted < seconds * 1000 + 5000, 'the owner login came after the delay had passed, so it proves nothing');

    // After the wait, the right password works in the guessing browser too.
    const remaining = seconds * 1000 - (Date.now() - waitStarted);
    await sleep(Math.max(remaining, 0) + 300);
    await submitLogin(guesser.page, user.username, user.password);
    assert.equal(guesser.page.url(), `${hub.base}/portal`);
    assert.equal(await textOf(guesser.page, 'h1'), `Welcome, ${user.display_name}`);

    await owner.monitor.assertClean();
    await guesser.monitor.assertClean();
    await russian.monitor.assertClean();
  } finally {
    await owner.context.close();
    await guesser.context.close();
    await russian.context.close();
  }
});
