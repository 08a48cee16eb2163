// The Fazt dashboard: a login, then three pages (dashboard, sites, system) chosen by the
// address's #fragment, so the browser's back button and bookmarks work and the server needs no
// routes of its own.
import { ApiError, get, post, setCsrfToken } from './api.js';
import { clear, el, showError } from './ui.js';
import { dashboardPage } from './dashboard.js';
import { sitesPage, sitePage } from './sites.js';
import { systemPage } from './system.js';

const main = document.getElementById('main');
const header = document.querySelector('header.top');
let stopPage = null; // the current page's cleanup (timers, live logs)

function leavePage() {
  if (stopPage) stopPage();
  stopPage = null;
}

function loginPage(message) {
  leavePage();
  header.hidden = true;
  document.querySelector('.toasts').replaceChildren();
  const username = el('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, value: 'admin' });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = el('p.error', { role: 'alert', hidden: !message, id: 'login-status' }, message || '');
  const submit = el('button.primary', { type: 'submit' }, 'Log in');
  let timer = null;
  const refuseUntil = (until, why) => {
    submit.disabled = true;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(timer);
        submit.disabled = false;
        status.textContent = why + ' You can try again now.';
        return;
      }
      status.textContent = why + ' Try again in ' + left + ' s (at ' +
        new Date(until).toLocaleTimeString() + ').';
    };
    status.hidden = false;
    tick();
    timer = setInterval(tick, 1000);
  };
  const form = el('form.login', {
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      status.hidden = true;
      try {
        const session = await post('/api/login', { username: username.value, password: password.value });
        setCsrfToken(session.csrfToken);
        clearInterval(timer);
        start(session.username);
      } catch (error) {
        password.value = '';
        if (error instanceof ApiError && error.status === 429 && error.retryAfter) {
          refuseUntil(Date.now() + error.retryAfter * 1000, error.message.replace(/ Retry in \d+ seconds\.$/, ''));
        } else {
          status.textContent = error.message;
          status.hidden = false;
          submit.disabled = false;
        }
        password.focus();
      }
    },
  },
  el('h1', 'Fazt'),
  el('p.muted', location.hostname),
  el('label', { for: 'username' }, 'Username'), username,
  el('label', { for: 'password' }, 'Password'), password,
  status, submit);
  stopPage = () => clearInterval(timer);
  clear(main, el('div.center', form));
  password.focus();
}

const pages = {
  dashboard: dashboardPage,
  sites: sitesPage,
  site: sitePage,
  system: systemPage,
};

function route() {
  if (header.hidden) return;
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const page = pages[name] ? name : 'dashboard';
  for (const link of header.querySelectorAll('nav a')) {
    const current = link.dataset.page === page || (page === 'site' && link.dataset.page === 'sites');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  leavePage();
  const view = el('div.page');
  clear(main, view);
  try {
    stopPage = pages[page](view, rest.map(decodeURIComponent)) || null;
  } catch (e) {
    showError(e);
  }
  main.focus({ preventScroll: true });
}

function start(username) {
  header.hidden = false;
  header.querySelector('.who').textContent = username;
  route();
}

// Any API call that finds the session gone brings the login back.
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof ApiError && e.reason.status === 401) loginPage('Your session has ended: log in again.');
});
window.addEventListener('fazt:unauthorized', () => loginPage('Your session has ended: log in again.'));
window.addEventListener('hashchange', route);
header.querySelector('.logout').addEventListener('click', async () => {
  try { await post('/api/logout'); } catch (_) { /* gone already */ }
  setCsrfToken('');
  loginPage('Logged out.');
});

(async () => {
  try {
    const session = await get('/api/session');
    if (!session.csrfToken) throw new ApiError(401, 'unauthorized', '', 0);
    setCsrfToken(session.csrfToken);
    start(session.username);
  } catch (e) {
    loginPage(e instanceof ApiError && e.status === 401 ? '' : e.message);
  }
})();
