// The portal lists a national admin the organisations of their own country
// and shows one organisation's accreditations, keys, users and tokens.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { clickAndWait, launchBrowser, logIn, openContext, portalUser, screenshot, startHub, textOf } from './harness.mjs';

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

test('national admin opens an organisation of their country', async () => {
  const admin = portalUser(hub.credentials, 'kg.admin');
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await logIn(page, hub.base, admin, 'en');
    await clickAndWait(page, page.locator('nav.portal-nav a[href="/portal/admin/organisations"]'));
    assert.equal(page.url(), `${hub.base}/portal/admin/organisations`);
    assert.equal(await textOf(page, 'h1'), 'Organisations');

    // Only Kyrgyz organisations are listed, and the demo's four are among them.
    const rows = await page.locator('table.list tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    );
    assert.ok(rows.length >= 4, `only ${rows.length} organisations listed`);
    for (const [name, , , country] of rows) {
      assert.equal(country, 'KG', `${name} of another country is listed`);
    }
    const numbers = rows.map((row) => row[2]);
    for (const number of ['NSB-KG', 'CUSTOMS-KG', 'KG-CB-001', 'KG-LAB-001']) {
      assert.ok(numbers.includes(number), `${number} missing in ${numbers.join(', ')}`);
    }

    const name = 'Certification body No. 1 of Kyrgyzstan (demo)';
    await clickAndWait(page, page.locator('table.list a', { hasText: name }));
    assert.match(new URL(page.url()).pathname, /^\/portal\/admin\/organisations\/[0-9a-f-]{36}$/);
    assert.equal(await textOf(page, 'h1'), name);
    const summary = await page.locator('dl.summary').evaluate((dl) =>
      Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])),
    );
    assert.equal(summary['Registration number'], 'KG-CB-001');
    assert.equal(summary.Country, 'KG');
    assert.equal(summary['Issuer id'], 'urn:ecert:org:KG:KG-CB-001');

    const accreditation = await textOf(page, 'section[aria-labelledby="acc-heading"] table.list tbody tr');
    assert.match(accreditation, /ISO\/IEC 17065/);
    assert.match(accreditation, /HS 2523, 6907/);
    // Kyrgyz CABs have no signing keys; they register with hub attestations.
    assert.equal(await page.locator('section[aria-labelledby="keys-heading"] table.list').count(), 0);
    const users = await page.locator('section[aria-labelledby="users-heading"] table.list tbody tr td:first-child').allInnerTexts();
    assert.deepEqual(users, ['kg.cab']);
    await screenshot(page, 'admin-organisation-en');

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});
