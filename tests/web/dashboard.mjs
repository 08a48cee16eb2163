// End-to-end tests of the admin dashboard in Debian's chromium, driven by playwright-core,
// against the real `fazt` binary: log in, traffic numbers, drag-and-drop deploy, rollback,
// a token used from curl, the "break glass" confirmation, recalibration, a wrong password and
// the lock-out, the landing page's simulator. Screenshots of every page at desktop and phone
// width go to FAZT_SCREENSHOTS. Exit code 77 (skipped) when chromium or playwright-core is
// missing (`installers/deps.sh test` installs both).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromiumArgs, chromiumOrSkip } from './chromium.mjs';
import { FaztServer } from './server.mjs';

const { playwright, executablePath: chromiumPath } = chromiumOrSkip();

const shots = process.env.FAZT_SCREENSHOTS || path.join(process.cwd(), 'screenshots');
mkdirSync(shots, { recursive: true });
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
const password = 'correct horse battery staple';
const server = await new FaztServer(password).start();
const profile = mkdtempSync(path.join(tmpdir(), 'fazt-chromium-'));
const context = await playwright.chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: desktop,
  args: chromiumArgs,
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);
const problems = []; // CSP violations and script errors, from the console
page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(e.message));

const admin = server.url('admin.localhost');
let passed = 0;
let failed = 0;
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    passed++;
    console.log('ok - ' + name + ' (' + (Date.now() - started) + ' ms)');
  } catch (e) {
    failed++;
    console.log('FAIL - ' + name + ': ' + (e.stack || e));
    await page.screenshot({ path: path.join(shots, 'failed-' + name.replace(/\W+/g, '-') + '.png') }).catch(() => {});
  }
}

async function shoot(name) {
  await page.evaluate(() => document.querySelector('.toasts').replaceChildren());
  for (const [label, size] of [['desktop', desktop], ['phone', phone]]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // the charts follow the resize
    await page.screenshot({ path: path.join(shots, name + '-' + label + '.png'), fullPage: true });
  }
  await page.setViewportSize(desktop);
}

// Drops files on the drop zone as a folder would arrive: a DataTransfer of Files, each with
// its path under the dropped folder (webkitRelativePath), as chromium gives them.
async function dropFolder(files) {
  await clearDeployStatus();
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const { path: p, content } of list) {
      const file = new File([content], p, { type: 'text/html' });
      Object.defineProperty(file, 'webkitRelativePath', { value: 'site/' + p });
      dt.items.add(file);
    }
    return dt;
  }, files);
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

// Drops one archive file (its bytes) on the drop zone.
async function dropArchive(name, bytes) {
  await clearDeployStatus();
  const dataTransfer = await page.evaluateHandle(({ fileName, base64 }) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], fileName));
    return dt;
  }, { fileName: name, base64: bytes.toString('base64') });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

// The status line of the last deploy goes, so that waiting for the live URL waits for this one.
const clearDeployStatus = () => page.evaluate(() => document.querySelector('.deploy-status').replaceChildren());

const apiJson = (p) => page.evaluate(async (u) => (await fetch(u)).json(), p);

try {
  await step('traffic for the dashboard to count', async () => {
    for (let i = 0; i < 7; i++) assert.equal((await server.request('demo.localhost', '/')).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await server.request('demo.localhost', '/css/site.css')).status, 200);
    assert.equal((await server.request('demo.localhost', '/nope')).status, 404);
    const tracked = await server.request('demo.localhost', '/track', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: 'signup' }),
    });
    assert.equal(tracked.status, 204);
  });

  await step('the dashboard is served from the binary with a strict CSP', async () => {
    const r = await server.request('admin.localhost', '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>Fazt admin<\/title>/);
    assert.match(r.headers['content-security-policy'], /script-src 'self'; style-src 'self'/);
    assert.doesNotMatch(r.headers['content-security-policy'], /unsafe-inline/);
    const chart = await server.request('admin.localhost', '/vendor/uplot.js');
    assert.equal(chart.status, 200);
    assert.match(chart.body, /uPlot/);
  });

  await step('log in', async () => {
    await page.goto(admin + '/');
    await page.waitForSelector('#password');
    await shoot('login');
    // By keyboard: the password field has the focus, Enter submits.
    await page.keyboard.type(password);
    const started = Date.now();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.page[data-charts="drawn"]');
    await page.waitForSelector('#live .meter');
    console.log('# dashboard after login: charts drawn in ' + (Date.now() - started) + ' ms');
  });

  await step('the dashboard shows the traffic the test made', async () => {
    const tile = (label) => page.locator('#totals .tile', { hasText: label }).locator('.value').textContent();
    assert.equal(await tile('Visits'), '7');
    assert.equal(await tile('Visitors'), '1');
    assert.equal(await tile('Requests'), '11');
    assert.equal(await tile('Events'), '1');
    await page.locator('td', { hasText: 'signup' }).first().waitFor();
    await page.locator('.status.s4', { hasText: '404' }).waitFor();
    // One site only: the landing site had no traffic.
    await page.selectOption('#site-filter', 'root');
    await page.locator('#totals .tile', { hasText: 'Visits' }).locator('.value', { hasText: /^0$/ }).waitFor();
    await page.selectOption('#site-filter', 'demo');
    await page.locator('#totals .tile', { hasText: 'Visits' }).locator('.value', { hasText: /^7$/ }).waitFor();
    const charts = await page.locator('.chart canvas').count();
    assert.ok(charts >= 2, 'two charts drawn, found ' + charts);
    assert.match(await page.locator('#live').textContent(), /File cache/);
    await shoot('dashboard');
  });

  await step('first load of the dashboard (time to the charts drawn)', async () => {
    await page.goto('about:blank');
    const started = Date.now();
    await page.goto(admin + '/#/dashboard');
    await page.waitForSelector('.chart canvas');
    console.log('# first load to charts drawn: ' + (Date.now() - started) + ' ms (not asserted)');
  });

  await step('create a site and deploy a folder by drag-and-drop', async () => {
    await page.goto(admin + '/#/sites');
    await page.fill('#new-site', 'webtest');
    await page.click('text=Create site');
    await page.waitForURL(/#\/site\/webtest$/);
    await page.waitForSelector('#dropzone');
    await dropFolder([
      { path: 'index.html', content: '<h1>version one</h1>' },
      { path: 'about/index.html', content: '<h1>about one</h1>' },
    ]);
    const link = page.locator('.deploy-status .live-url');
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), server.url('webtest.localhost'));
    const live = await context.newPage();
    await live.goto(server.url('webtest.localhost'));
    assert.equal(await live.locator('h1').textContent(), 'version one');
    await live.goto(server.url('webtest.localhost', '/about/'));
    assert.equal(await live.locator('h1').textContent(), 'about one');
    await live.close();
  });

  await step('deploy again, then roll back', async () => {
    await dropFolder([{ path: 'index.html', content: '<h1>version two</h1>' }]);
    await page.locator('.deploy-status .live-url').waitFor();
    assert.match((await server.request('webtest.localhost', '/')).body, /version two/);
    await page.locator('#deploys td', { hasText: 'live' }).first().waitFor();
    assert.equal(await page.locator('#deploys tbody tr').count(), 2);
    await shoot('site');
    await page.click('text=Roll back');
    await page.locator('.toast', { hasText: 'Rolled back' }).waitFor();
    assert.match((await server.request('webtest.localhost', '/')).body, /version one/);
    // and forward again with Activate on the newer deploy
    await page.locator('#deploys button', { hasText: 'Activate' }).first().click();
    await page.locator('.toast', { hasText: /^Deploy #\d+ is live\./ }).waitFor();
    assert.match((await server.request('webtest.localhost', '/')).body, /version two/);
  });

  await step('deploy a real folder with the folder chooser', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'fazt-folder-'));
    mkdirSync(path.join(folder, 'docs', 'deep'), { recursive: true });
    writeFileSync(path.join(folder, 'index.html'), '<h1>version three</h1>');
    writeFileSync(path.join(folder, 'docs', 'deep', 'ünïcode page.html'), '<h1>deep</h1>');
    try {
      await clearDeployStatus();
      await page.locator('#dropzone input[webkitdirectory]').setInputFiles(folder);
      await page.locator('.deploy-status .live-url').waitFor();
      assert.match((await server.request('webtest.localhost', '/')).body, /version three/);
      const deep = await server.request('webtest.localhost', '/docs/deep/' + encodeURIComponent('ünïcode page.html'));
      assert.equal(deep.status, 200);
      assert.match(deep.body, /deep/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  await step('drop an archive; a broken one is refused whole', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'fazt-archive-'));
    try {
      writeFileSync(path.join(folder, 'index.html'), '<h1>version four</h1>');
      execFileSync('tar', ['czf', path.join(folder, 'site.tar.gz'), '-C', folder, 'index.html']);
      await dropArchive('site.tar.gz', readFileSync(path.join(folder, 'site.tar.gz')));
      await page.locator('.deploy-status .live-url').waitFor();
      assert.match((await server.request('webtest.localhost', '/')).body, /version four/);
      await dropArchive('broken.zip', Buffer.from('PK\u0003\u0004 this is not a zip file at all'));
      const refusal = page.locator('.deploy-status .error');
      await refusal.waitFor();
      assert.match(await refusal.textContent(), /archive is truncated or corrupt/);
      assert.match((await server.request('webtest.localhost', '/')).body, /version four/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  await step('a custom domain, a secret variable, the egress allowlist, settings', async () => {
    await page.fill('#domain', 'www.webtest.example');
    await page.click('text=Add domain');
    await page.locator('code', { hasText: 'www.webtest.example. CNAME webtest.localhost.' }).waitFor();
    await page.fill('#env-name', 'API_KEY');
    await page.fill('#env-value', 's3cr3t-value');
    await page.click('form.inline button:has-text("Set")');
    await page.locator('td', { hasText: '(secret)' }).waitFor();
    assert.doesNotMatch(await page.content(), /s3cr3t-value/);
    const env = await apiJson('/api/sites/webtest/env');
    assert.deepEqual(env.variables.map((v) => [v.name, v.secret]), [['API_KEY', true]]);
    assert.notEqual(env.variables[0].value, 's3cr3t-value');
    await page.fill('#egress', 'api.example.com\n127.0.0.1:9000');
    await page.click('text=Save allowlist');
    await page.locator('.toast', { hasText: 'Allowlist saved' }).waitFor();
    assert.deepEqual((await apiJson('/api/sites/webtest/egress')).hosts.sort(), ['127.0.0.1:9000', 'api.example.com']);
    await page.check('#spa');
    await page.click('text=Save settings');
    await page.locator('.toast', { hasText: 'Settings saved' }).waitFor();
    assert.equal((await apiJson('/api/sites/webtest')).settings.spa, true);
    assert.match((await server.request('webtest.localhost', '/no/such/page')).body, /version four/); // SPA fallback
  });

  await step('the function log, followed live', async () => {
    await page.check('#follow');
    await dropFolder([
      { path: 'index.html', content: '<h1>with functions</h1>' },
      { path: 'api/main.js', content: "module.exports = function (request) { fazt.log('hello from ' + request.path); return { ok: true }; };" },
    ]);
    await page.locator('.deploy-status .live-url').waitFor();
    const answer = await server.request('webtest.localhost', '/api/greet');
    assert.equal(answer.status, 200, answer.body);
    await page.locator('pre.log', { hasText: 'hello from /api/greet' }).waitFor();
  });

  await step('maintenance mode on and off', async () => {
    await page.goto(admin + '/#/system');
    await page.click('text=Enter maintenance mode');
    await page.locator('text=Maintenance mode is on').waitFor();
    assert.equal((await server.request('webtest.localhost', '/')).status, 503);
    await page.click('text=Leave maintenance mode');
    await page.locator('text=Sites are served normally').waitFor();
    assert.equal((await server.request('webtest.localhost', '/')).status, 200);
  });

  await step('the sites list, and delete with typed confirmation', async () => {
    await page.goto(admin + '/#/sites');
    await page.locator('a[href="#/site/webtest"]').waitFor();
    await shoot('sites');
    await page.click('button[aria-label="Delete demo"]');
    await page.click('dialog button.danger'); // without typing the name
    await page.locator('dialog .error', { hasText: 'Type demo exactly' }).waitFor();
    await page.fill('dialog input', 'demo');
    await page.click('dialog button.danger');
    await page.locator('.toast', { hasText: 'Site demo deleted' }).waitFor();
    assert.equal((await server.request('demo.localhost', '/')).status, 404);
  });

  await step('create a token and use it from curl', async () => {
    await page.goto(admin + '/#/system');
    await page.fill('#token-name', 'curl-test');
    await page.check('#scope-read');
    await page.click('text=Create token');
    const secret = await page.locator('#new-token').inputValue();
    assert.match(secret, /^\S{20,}$/);
    await page.click('dialog button:has-text("Done")');
    const out = execFileSync('curl', ['-sS', '-w', '\n%{http_code}', '-H', 'Authorization: Bearer ' + secret,
      '-H', 'Host: admin.localhost', 'http://127.0.0.1:' + server.port + '/api/sites'], { encoding: 'utf8' });
    assert.match(out, /"webtest"/);
    assert.match(out, /\n200$/);
    await page.locator('td', { hasText: 'curl-test' }).waitFor();
  });

  await step('download a backup', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download a backup')]);
    assert.match(download.suggestedFilename(), /^fazt-backup-\d{8}-\d{6}\.db$/);
    const file = await download.path();
    const head = readFileSync(file).subarray(0, 15).toString('latin1');
    assert.equal(head, 'SQLite format 3');
  });

  await step('a limit past the safe value asks for the break-glass confirmation', async () => {
    const before = await apiJson('/api/system/limits');
    const mib = Math.ceil((before.safe.cacheBytes * 4) / 1048576);
    await page.fill('#limit-cacheBytes', String(mib));
    await page.click('text=Save limits');
    const dialog = page.locator('dialog', { hasText: 'Above the safe value' });
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /cacheBytes = \d+ is above the safe/);
    await shoot('system-break-glass');
    await dialog.locator('button', { hasText: 'Break glass' }).click();
    await page.locator('.toast', { hasText: 'Limits saved' }).waitFor();
    const after = await apiJson('/api/system/limits');
    assert.equal(after.limits.cacheBytes, mib * 1048576);
    await page.locator('.warning', { hasText: 'above safe' }).waitFor();
  });

  await step('recalibrate', async () => {
    await page.click('#recalibrate');
    await page.locator('.toast', { hasText: 'Recalibrated for' }).waitFor();
    const after = await apiJson('/api/system/limits');
    assert.equal(after.limits.cacheBytes, after.safe.cacheBytes);
    await page.locator('.warning', { hasText: 'above safe' }).waitFor({ state: 'detached' });
    await shoot('system');
  });

  await step('the landing page simulator uses the server\'s Capacity', async () => {
    const landing = await context.newPage();
    await landing.goto(server.url('localhost'));
    await landing.locator('#limits dd').first().waitFor();
    await landing.selectOption('#preset', '1'); // 512 MB, 1 vCPU
    const direct = JSON.parse((await server.request('admin.localhost', '/api/simulate?memoryBytes=536870912&cpus=1&diskBytes=10737418240')).body);
    const cache = direct.limits.cacheBytes;
    await landing.locator('#limits dd', { hasText: String(Math.round(cache / 1048576)) }).first().waitFor();
    for (const [label, size] of [['desktop', desktop], ['phone', phone]]) {
      await landing.setViewportSize(size);
      await landing.screenshot({ path: path.join(shots, 'landing-' + label + '.png'), fullPage: true });
    }
    await landing.close();
  });

  await step('a wrong password, then the lock-out says when to try again', async () => {
    await page.click('button.logout');
    await page.waitForSelector('#password');
    await page.fill('#password', 'wrong password');
    await page.click('form.login button[type=submit]');
    await page.locator('#login-status', { hasText: 'Wrong username or password' }).waitFor();
    for (let i = 0; i < 8; i++) {
      if (await page.locator('#login-status', { hasText: 'Try again in' }).count()) break;
      await page.fill('#password', 'wrong password ' + i);
      await page.click('form.login button[type=submit]');
      await page.waitForFunction(() => !document.querySelector('form.login button').disabled || /Try again/.test(document.getElementById('login-status').textContent));
    }
    const status = page.locator('#login-status', { hasText: /Too many failed logins .* Try again in \d+ s \(at / });
    await status.waitFor();
    assert.equal(await page.locator('form.login button[type=submit]').isDisabled(), true);
    await shoot('login-locked');
  });

  await step('no script error and no Content-Security-Policy violation', async () => {
    assert.deepEqual(problems, []);
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  await server.stop();
}
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
