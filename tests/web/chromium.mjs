// Debian's chromium driven by playwright-core (both from `installers/deps.sh test`), for the
// browser tests and the dashboard benchmark. When either is missing the caller exits 77
// (skipped), saying which and how to install it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const executablePath = '/usr/bin/chromium';
// Headless, and nothing the browser would fetch or do on its own beside the page.
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

// {playwright, executablePath}, or exits 77. `who` prefixes the message ("bench_dashboard: ").
export function chromiumOrSkip(who = '') {
  const require = createRequire(import.meta.url);
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch (_) {
    console.log(who + 'SKIP: playwright-core is not installed (run installers/deps.sh test)');
    process.exit(77);
  }
  if (!existsSync(executablePath)) {
    console.log(who + 'SKIP: ' + executablePath + ' is missing (run installers/deps.sh test)');
    process.exit(77);
  }
  return { playwright, executablePath };
}
