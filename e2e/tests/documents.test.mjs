// A keyless Kyrgyz CAB registers a certificate of conformity with its PDF
// in Russian and downloads the stamped PDF. A customs officer verifies the
// document by a photo of the stamped QR code and by hub ID. Anyone then
// opens the public verification page in both languages.
//
// The tests run in order and share the registered document's hub ID.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { clickAndWait, launchBrowser, logIn, openContext, portalUser, screenshot, startHub, textOf } from './harness.mjs';
import { onePagePdf } from './pdf.mjs';

const run = promisify(execFile);

/** Hub IDs look like KG-CC-A5D7-89BG-1: country, type, two groups of four, check character. */
const HUB_ID = /^KG-CC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/;

/** The ten checks of every verification, in the order the hub lists them. */
const CHECKS_EN = [
  ['Format', 'passed', 'The hub ID, the signed data and the document fields are well formed.'],
  ['Signing key registered', 'passed', "The record is attested with the hub's own key."],
  ['Electronic signature', 'passed', "The hub's signature on its attestation is valid."],
  ['Key valid at registration', 'passed', 'The hub key was valid when the hub recorded the document.'],
  ["Issuer's accreditation scope", 'passed', 'On the issue date the issuer was accredited or designated for this product.'],
  ['Registry status', 'passed', 'The registry lists the document as valid.'],
  ['Validity period', 'passed', "The requested date is within the document's validity period."],
  ['File comparison', 'not_applicable', 'No file was given, so no file was compared.'],
  ['Agreement coverage', 'not_applicable', 'No verifying country was given.'],
  ['Transparency log', 'not_applicable', 'The hub does not run a transparency log yet.'],
];

let hub;
let browser;
let workDir;
/** The registered document: hub ID, national number and the uploaded PDF. */
const registered = { hubId: null, nationalNumber: 'KG.CB.2026.0101', stampedPdf: null };

before(async () => {
  hub = await startHub();
  browser = await launchBrowser();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ecert-e2e-files-'));
});

after(async () => {
  await browser?.close();
  await hub?.stop();
  if (workDir) {
    await rm(workDir, { recursive: true, force: true });
  }
});

function requireRegistered() {
  assert.ok(registered.hubId, 'no document was registered: the registration test failed first');
  return registered.hubId;
}

/** Returns the demo document with `nationalNumber` from demo-credentials.json. */
function demoDocument(nationalNumber) {
  const document = hub.credentials.documents.find((d) => d.national_number === nationalNumber);
  assert.ok(document, `demo-credentials.json lists no document ${nationalNumber}`);
  return document;
}

/** Reads a `<dl class="summary">` into a map from term to description. */
async function summary(page, selector = 'dl.summary') {
  const pairs = await page.locator(selector).first().evaluate((dl) => {
    const result = [];
    for (const dt of dl.querySelectorAll('dt')) {
      result.push([dt.textContent.trim(), dt.nextElementSibling?.textContent.trim() ?? '']);
    }
    return result;
  });
  return new Map(pairs);
}

/** Reads the listed checks: label, outcome (from the class) and reason. */
async function checks(page) {
  return page.locator('ol.checks > li').evaluateAll((items) =>
    items.map((li) => [
      li.querySelector('h3').textContent.trim(),
      [...li.classList].find((c) => c.startsWith('outcome-'))?.slice('outcome-'.length),
      li.querySelectorAll('p')[1]?.textContent.trim(),
    ]),
  );
}

/** Today's date in UTC as YYYY-MM-DD, shifted by `years`. */
function utcDate(years = 0) {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.toISOString().slice(0, 10);
}

test('CAB without a key registers a CoC with a PDF in Russian', async () => {
  const cab = portalUser(hub.credentials, 'kg.cab');
  const testReport = demoDocument('KG.LAB.2026.001');
  const replaced = demoDocument('KG.CB.2026.001');
  const { context, page, monitor } = await openContext(browser, hub.base, 'ru-RU');
  try {
    await logIn(page, hub.base, cab, 'ru');
    assert.equal(await textOf(page, 'h1'), `Здравствуйте, ${cab.display_name}`);
    await screenshot(page, 'cab-home-ru');

    await clickAndWait(page, page.locator('main a[href="/portal/documents/new"]'));
    assert.equal(page.url(), `${hub.base}/portal/documents/new`);
    assert.equal(await textOf(page, 'h1'), 'Регистрация сертификата или протокола испытаний');
    // A CAB registers only for itself, so the issuer is fixed.
    assert.match(await page.locator('main form p', { hasText: 'Выдавший орган:' }).innerText(), /Certification body No\. 1 of Kyrgyzstan \(demo\) \(KG-CB-001\)/);

    const form = page.locator('form[action="/portal/documents"]:has(#f-national_number)');
    await form.locator('#f-doc_type').selectOption('CC');
    await form.locator('#f-national_number').fill(registered.nationalNumber);
    await form.locator('#f-issued_at').fill(utcDate());
    await form.locator('#f-valid_until').fill(utcDate(3));
    await form.locator('#f-supersedes').fill(replaced.hub_id.toLowerCase());
    await form.locator('#f-applicant_name').fill('ОсОО «Тестовая керамика»');
    await form.locator('#f-applicant_id').fill('01234567890123');
    await form.locator('#f-applicant_country').fill('KG');
    await form.locator('#f-manufacturer_name').fill('ЗАО «Кыргызский керамический завод»');
    await form.locator('#f-manufacturer_id').fill('98765432101234');
    await form.locator('#f-manufacturer_country').fill('kg');
    await form.locator('#f-product_name_ru').fill('Плитка керамическая глазурованная для пола');
    // The English product name is the one field meant for English text.
    await form.locator('#f-product_name_en').fill('Glazed ceramic floor tiles');
    await form.locator('#f-model').fill('ПК-600 «Ала-Тоо»');
    await form.locator('#f-hs_edition').selectOption('HS2022');
    await form.locator('#f-hs_codes').fill('690721 6907210000');
    await form.locator('#f-standards').fill('ГОСТ 13996-2019\nГОСТ 27180-2019');
    await form.locator('#f-regulations').fill('ТР ТС 010/2011 «О безопасности машин и оборудования»');
    await form.locator('#f-test_reports').fill(testReport.hub_id);
    await form.locator('#f-test_results').fill('Образцы соответствуют требованиям ГОСТ 13996-2019: водопоглощение 0,4 %.');
    await form.locator('#f-conformance').check();
    const pdf = onePagePdf(['Certificate of conformity', `No. ${registered.nationalNumber}`, 'Glazed ceramic floor tiles, model PK-600']);
    await form.locator('#f-pdf').setInputFiles({ name: 'сертификат.pdf', mimeType: 'application/pdf', buffer: pdf });
    await screenshot(page, 'register-form-ru');

    await clickAndWait(page, form.locator('button[type="submit"]'));
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('registered'), 'new', `the form did not register the document: ${page.url()}\n${await textOf(page, 'main')}`);
    assert.equal(url.searchParams.get('stamp'), null, 'the hub could not stamp the PDF');
    assert.equal(await textOf(page, 'main p.notice'), 'Документ зарегистрирован.');
    const hubId = await textOf(page, 'h1 .hub-id');
    assert.match(hubId, HUB_ID);
    assert.equal(url.pathname, `/portal/documents/${hubId}`);
    assert.equal(await textOf(page, 'h1'), `Сертификат соответствия ${hubId}`);

    const fields = await summary(page);
    assert.equal(fields.get('Статус в реестре'), 'Действует');
    assert.equal(fields.get('Национальный номер документа'), registered.nationalNumber);
    assert.equal(fields.get('Заявитель'), 'ОсОО «Тестовая керамика», 01234567890123 (KG)');
    assert.equal(fields.get('Изготовитель'), 'ЗАО «Кыргызский керамический завод», 98765432101234 (KG)');
    // The name in the page language comes first.
    assert.equal(fields.get('Продукция'), 'Плитка керамическая глазурованная для пола; Glazed ceramic floor tiles');
    assert.equal(fields.get('Модель'), 'ПК-600 «Ала-Тоо»');
    assert.match(fields.get('Коды ТН ВЭД / ГС'), /^690721\b/);
    assert.equal(fields.get('Стандарты'), 'ГОСТ 13996-2019; ГОСТ 27180-2019');
    assert.equal(fields.get('Технические регламенты'), 'ТР ТС 010/2011 «О безопасности машин и оборудования»');
    assert.equal(fields.get('Протоколы испытаний'), testReport.hub_id);
    assert.equal(fields.get('Результаты испытаний'), 'Образцы соответствуют требованиям ГОСТ 13996-2019: водопоглощение 0,4 %.');
    assert.equal(fields.get('Соответствие'), 'Продукция соответствует требованиям');
    assert.equal(fields.get('Основание доверия'), 'Заверение хаба');
    assert.equal(fields.get('Заменяет документ'), replaced.hub_id);
    assert.match(fields.get('SHA-256 файла PDF'), /^[0-9a-f]{64}$/);
    assert.match(fields.get('SHA-256 PDF с отметкой хаба'), /^[0-9a-f]{64}$/);
    assert.equal(await textOf(page, '#download-stamped'), 'Скачать PDF с идентификатором хаба и QR-кодом');
    await screenshot(page, 'document-registered-ru');

    registered.hubId = hubId;
    await monitor.assertClean();
  } finally {
    await context.close();
  }
});

test('stamped PDF QR code read from a photo', async () => {
  const hubId = requireRegistered();
  const cab = portalUser(hub.credentials, 'kg.cab');
  const expectedUrl = `${hub.base}/v/${hubId}`;

  // The CAB downloads the stamped PDF from the document page.
  const cabSession = await openContext(browser, hub.base, 'ru-RU');
  const pdfPath = path.join(workDir, 'stamped.pdf');
  try {
    await logIn(cabSession.page, hub.base, cab, 'ru');
    await cabSession.page.goto(`${hub.base}/portal/documents/${hubId}`);
    const link = cabSession.page.locator('#download-stamped');
    assert.equal((await link.innerText()).trim(), 'Скачать PDF с идентификатором хаба и QR-кодом');
    const [download] = await Promise.all([cabSession.page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), `${hubId}-stamped.pdf`);
    await download.saveAs(pdfPath);
    await cabSession.monitor.assertClean();
  } finally {
    await cabSession.context.close();
  }
  const stamped = await readFile(pdfPath);
  assert.equal(stamped.subarray(0, 5).toString('latin1'), '%PDF-');
  registered.stampedPdf = stamped;

  // The first page rendered at 150 dpi stands in for a photo of the paper.
  await run('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', pdfPath, path.join(workDir, 'page')]);
  const pngName = (await readdir(workDir)).find((name) => name.startsWith('page') && name.endsWith('.png'));
  assert.ok(pngName, 'pdftoppm wrote no PNG');
  const photo = await readFile(path.join(workDir, pngName));

  const customs = portalUser(hub.credentials, 'uz.customs');
  const { context, page, monitor } = await openContext(browser, hub.base, 'ru-RU');
  try {
    await logIn(page, hub.base, customs, 'ru');
    await clickAndWait(page, page.locator('nav.portal-nav a[href="/portal/verify"]'));
    assert.equal(await textOf(page, 'h1'), 'Проверка сертификата или протокола испытаний');
    const form = page.locator('form:has(#f-photo)');
    assert.equal(await form.locator('h2').innerText(), 'По фотографии QR-кода');
    await form.locator('#f-photo').setInputFiles({ name: 'qr-photo.png', mimeType: 'image/png', buffer: photo });
    await clickAndWait(page, form.locator('button[type="submit"]'));

    assert.equal(page.url(), `${hub.base}/portal/verify`);
    assert.ok(await page.getByText('В QR-коде на фотографии записано:', { exact: true }).isVisible());
    const decoded = await page.locator('ul.decoded code').allInnerTexts();
    assert.deepEqual(decoded, [expectedUrl]);
    assert.equal(await page.locator('section.verdict').getAttribute('class'), 'verdict verdict-valid');
    assert.equal(await textOf(page, '#verdict-label'), '✓ Действителен');
    assert.equal(await textOf(page, 'section.verdict .hub-id'), hubId);

    // The stamped PDF itself verifies too, and matches the stamped copy.
    const pdfForm = page.locator('form:has(input[name="pdf"])');
    await pdfForm.locator('input[name="pdf"]').setInputFiles({ name: `${hubId}-stamped.pdf`, mimeType: 'application/pdf', buffer: stamped });
    await clickAndWait(page, pdfForm.locator('button[type="submit"]'));
    assert.equal(await page.locator('section.verdict').getAttribute('class'), 'verdict verdict-valid');
    assert.equal(await textOf(page, 'section.verdict .hub-id'), hubId);
    const fileCheck = (await checks(page)).find(([label]) => label === 'Сверка файла');
    assert.equal(fileCheck?.[1], 'passed');

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});

test('customs officer verifies by hub ID with every check listed', async () => {
  const hubId = requireRegistered();
  const customs = portalUser(hub.credentials, 'uz.customs');
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await logIn(page, hub.base, customs, 'en');
    await page.goto(`${hub.base}/portal/verify`);
    assert.equal(await textOf(page, 'h1'), 'Verify a certificate or test report');
    // Hub IDs are read without regard to case, as officers type them.
    await page.locator('#f-id').fill(hubId.toLowerCase());
    await clickAndWait(page, page.locator('form.lookup button[type="submit"]'));

    assert.equal(page.url(), `${hub.base}/portal/verify?id=${hubId.toLowerCase()}`);
    assert.equal(await page.locator('section.verdict').getAttribute('class'), 'verdict verdict-valid');
    assert.equal(await textOf(page, '#verdict-label'), '✓ Valid');
    assert.equal(await textOf(page, 'section.verdict .hub-id'), hubId);
    assert.match(await textOf(page, 'section[aria-labelledby="trust-heading"]'), /Hub attestation\./);

    const fields = await summary(page);
    assert.equal(fields.get('Document type'), 'Certificate of conformity (CC)');
    assert.equal(fields.get('National document number'), registered.nationalNumber);
    assert.equal(fields.get('Issued by'), 'Certification body No. 1 of Kyrgyzstan (demo) (Kyrgyzstan)');
    assert.equal(fields.get('Registry status'), 'Valid');

    assert.deepEqual(await checks(page), CHECKS_EN);
    await screenshot(page, 'customs-verification-en');

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});

test('public verification page in both languages without login', async () => {
  const hubId = requireRegistered();
  const { context, page, monitor } = await openContext(browser, hub.base, 'en-US');
  try {
    await page.goto(`${hub.base}/v/${hubId}?lang=en`);
    assert.equal(page.url(), `${hub.base}/v/${hubId}?lang=en`, 'the public page must not ask for a login');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await textOf(page, 'h1'), 'Verification result');
    assert.equal(await page.locator('section.verdict').getAttribute('class'), 'verdict verdict-valid');
    assert.equal(await textOf(page, '#verdict-label'), '✓ Valid');
    assert.equal(await textOf(page, 'section.verdict .hub-id'), hubId);
    assert.equal((await summary(page)).get('National document number'), registered.nationalNumber);
    assert.equal((await checks(page)).length, 10);
    await screenshot(page, 'public-verification-en');

    // The language switch link opens the same page in Russian.
    await clickAndWait(page, page.locator('.lang-switch a[hreflang="ru"]'));
    assert.equal(page.url(), `${hub.base}/v/${hubId}?lang=ru`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    assert.equal(await textOf(page, 'h1'), 'Результат проверки');
    assert.equal(await textOf(page, '#verdict-label'), '✓ Действителен');
    assert.equal(await textOf(page, 'section.verdict .hub-id'), hubId);
    const fields = await summary(page);
    assert.equal(fields.get('Национальный номер документа'), registered.nationalNumber);
    assert.equal(fields.get('Статус в реестре'), 'Действует');
    assert.equal(fields.get('Продукция'), 'Плитка керамическая глазурованная для пола');
    assert.equal((await checks(page)).length, 10);

    // And back to English.
    await clickAndWait(page, page.locator('.lang-switch a[hreflang="en"]'));
    assert.equal(page.url(), `${hub.base}/v/${hubId}?lang=en`);
    assert.equal(await textOf(page, 'h1'), 'Verification result');

    // A Russian browser opening ?lang=ru directly gets the same Russian page.
    const russian = await openContext(browser, hub.base, 'ru-RU');
    try {
      await russian.page.goto(`${hub.base}/v/${hubId}?lang=ru`);
      assert.equal(await textOf(russian.page, 'h1'), 'Результат проверки');
      assert.equal(await russian.page.locator('.lang-switch a[aria-current="true"]').getAttribute('hreflang'), 'ru');
      await screenshot(russian.page, 'public-verification-ru');
      await russian.monitor.assertClean();
    } finally {
      await russian.context.close();
    }

    await monitor.assertClean();
  } finally {
    await context.close();
  }
});
