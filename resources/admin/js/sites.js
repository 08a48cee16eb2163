// Sites: the list (create, delete with typed confirmation) and one site's page: deploy by
// drag-and-drop, deploy history with rollback and activate, custom domains, settings, env
// variables, egress allowlist and the function log followed live.
import { del, get, post, put } from './api.js';
import { deploy, filesFromDrop, filesFromList } from './deploy.js';
import { busy, bytes, card, clear, el, number, rowButton, showError, table, toast, typedConfirm, when } from './ui.js';

const LogEveryMs = 2000;

export function sitesPage(view) {
  const list = el('div', el('p.muted', 'Loading…'));
  const name = el('input', { id: 'new-site', name: 'name', required: true, pattern: '[a-z0-9]([a-z0-9\\-]{0,61}[a-z0-9])?', placeholder: 'blog', autocomplete: 'off', 'aria-describedby': 'new-site-help' });
  const create = el('button.primary', { type: 'submit' }, 'Create site');
  const form = el('form.inline', {
    onsubmit: (e) => {
      e.preventDefault();
      busy(create, async () => {
        const site = await post('/api/sites', { name: name.value.trim() });
        toast('Site ' + site.name + ' created.');
        location.hash = '#/site/' + encodeURIComponent(site.name);
      });
    },
  }, el('label', { for: 'new-site' }, 'New site'), name, create,
  el('small', { id: 'new-site-help' }, 'Lower-case letters, digits and "-": the site lives at NAME.' + location.hostname.replace(/^admin\./, '')));

  async function load() {
    const { sites } = await get('/api/sites');
    clear(list, table([
      { label: 'Site', value: (s) => el('a', { href: '#/site/' + encodeURIComponent(s.name) }, s.name) },
      { label: 'Address', value: (s) => el('a', { href: s.url, target: '_blank', rel: 'noopener' }, s.url) },
      { label: 'Deploy', value: (s) => (s.activeDeployId ? '#' + s.activeDeployId : 'none yet') },
      { label: 'Created', value: (s) => when(s.createdAt) },
      {
        label: 'Actions',
        // The landing site `root` cannot be deleted, only deployed over.
        value: (s) => s.name !== 'root' && rowButton('Delete', 'Delete ' + s.name, async () => {
          if (!(await typedConfirm('Delete ' + s.name + '?', 'The site, its deploys, domains and variables are removed. Its address stops answering at once.', s.name, 'Delete site'))) return;
          await del('/api/sites/' + encodeURIComponent(s.name));
          toast('Site ' + s.name + ' deleted.');
          await load();
        }),
      },
    ], sites, 'No sites yet: create one above.'));
  }
  clear(view, el('div.heading', el('h1', 'Sites')), card('Create', form), card('All sites', list));
  load().catch(showError);
}

function dropZone(site, onDeployed) {
  const status = el('div.deploy-status', { role: 'status', 'aria-live': 'polite' });
  const folderInput = el('input', { type: 'file', webkitdirectory: true, hidden: true, 'aria-label': 'Choose a folder' });
  const archiveInput = el('input', { type: 'file', accept: '.zip,.tar,.tgz,.gz,.xz,.bz2,.zst', hidden: true, 'aria-label': 'Choose an archive' });
  let running = null;

  const start = (files) => {
    if (running) return;
    if (!files.length) {
      showError(new Error('That folder is empty: nothing to deploy.'));
      return;
    }
    const progress = el('progress', { max: 1, value: 0, 'aria-label': 'Deploy progress' });
    const label = el('span', 'Packing…');
    const cancel = el('button.secondary', { type: 'button', onclick: () => running && running.cancel() }, 'Cancel');
    clear(status, label, progress, cancel);
    const totalBytes = files.reduce((n, f) => n + f.file.size, 0);
    running = deploy(site, files, ({ phase, done, total }) => {
      progress.max = total || 1;
      progress.value = done;
      label.textContent = phase === 'packing'
        ? 'Packing ' + number(done) + ' of ' + number(total) + ' files (' + bytes(totalBytes) + ')…'
        : 'Uploading ' + bytes(done) + ' of ' + bytes(total) + '…';
    });
    zone.classList.add('busy');
    running.promise.then((d) => {
      clear(status, el('p.ok', 'Deploy #' + d.id + ' is live: ' + number(d.fileCount) + ' files, ' + bytes(d.bytes) + ' at ',
        el('a.live-url', { href: d.url, target: '_blank', rel: 'noopener' }, d.url)));
      onDeployed();
    }, (e) => {
      clear(status, el('p.error', e.name === 'AbortError' ? 'Deploy cancelled: nothing was changed.' : e.message));
    }).finally(() => {
      running = null;
      zone.classList.remove('busy');
    });
  };
  folderInput.addEventListener('change', () => start(filesFromList(folderInput.files)));
  archiveInput.addEventListener('change', () => start(filesFromList(archiveInput.files)));

  const zone = el('div.dropzone', {
    id: 'dropzone',
    ondragover: (e) => { e.preventDefault(); zone.classList.add('over'); },
    ondragleave: () => zone.classList.remove('over'),
    ondrop: async (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      try {
        start(await filesFromDrop(e.dataTransfer));
      } catch (error) {
        showError(error);
      }
    },
  },
  el('p', el('strong', 'Drop a folder or an archive here'), ' to deploy it to ' + site + '.'),
  el('p.buttons',
    el('button.secondary', { type: 'button', onclick: () => folderInput.click() }, 'Choose a folder…'),
    el('button.secondary', { type: 'button', onclick: () => archiveInput.click() }, 'Choose an archive…')),
  folderInput, archiveInput, status);
  return zone;
}

function deploysCard(site, reload) {
  const box = el('div', el('p.muted', 'Loading…'));
  const rollback = el('button.secondary', {
    type: 'button',
    onclick: () => busy(rollback, async () => {
      const d = await post('/api/sites/' + encodeURIComponent(site) + '/rollback');
      toast('Rolled back: deploy #' + d.id + ' is live.');
      reload();
    }),
  }, 'Roll back');
  async function load() {
    const { deploys } = await get('/api/sites/' + encodeURIComponent(site) + '/deploys');
    clear(box, table([
      { label: 'Deploy', value: (d) => '#' + d.id },
      { label: 'When', value: (d) => when(d.createdAt) },
      { label: 'Files', value: (d) => number(d.fileCount) },
      { label: 'Size', value: (d) => bytes(d.bytes) },
      {
        label: 'State',
        value: (d) => (d.isActive ? el('strong.live', 'live') : rowButton('Activate', 'Activate deploy ' + d.id, async () => {
          await post('/api/sites/' + encodeURIComponent(site) + '/deploys/' + d.id + '/activate');
          toast('Deploy #' + d.id + ' is live.');
          reload();
        }, 'secondary')),
      },
    ], deploys, 'No deploys yet: drop a folder above.'));
  }
  load().catch(showError);
  return card('Deploys', el('p', rollback, ' makes the deploy before the live one live again (instant, nothing is deleted).'), box);
}

function domainsCard(site, siteUrl) {
  const box = el('div', el('p.muted', 'Loading…'));
  const target = new URL(siteUrl).hostname;
  const hostname = el('input', { id: 'domain', required: true, placeholder: 'www.example.org', autocomplete: 'off' });
  const add = el('button.primary', { type: 'submit' }, 'Add domain');
  let certificates = null;
  async function load() {
    if (!certificates) {
      certificates = await get('/api/certificates').then((r) => r.certificates, () => []);
    }
    const { domains } = await get('/api/sites/' + encodeURIComponent(site) + '/domains');
    clear(box, table([
      { label: 'Domain', value: (d) => d.hostname },
      { label: 'DNS record to create', value: (d) => el('code', d.hostname + '. CNAME ' + target + '.') },
      {
        label: 'Certificate',
        value: (d) => {
          const c = certificates.find((x) => x.name === d.hostname);
          if (!c) return 'none yet (issued on first HTTPS visit)';
          return c.last_error ? el('span.error', 'failed: ' + c.last_error) : 'valid until ' + when(c.not_after);
        },
      },
      {
        label: 'Actions',
        value: (d) => rowButton('Remove', 'Remove ' + d.hostname, async () => {
          await del('/api/sites/' + encodeURIComponent(site) + '/domains/' + encodeURIComponent(d.hostname));
          await load();
        }),
      },
    ], domains, 'No custom domains: the site answers at ' + target + '.'));
  }
  load().catch(showError);
  return card('Domains',
    el('form.inline', {
      onsubmit: (e) => {
        e.preventDefault();
        busy(add, async () => {
          await post('/api/sites/' + encodeURIComponent(site) + '/domains', { hostname: hostname.value.trim() });
          hostname.value = '';
          await load();
        });
      },
    }, el('label', { for: 'domain' }, 'Custom domain'), hostname, add),
    box);
}

function settingsCard(site, settings) {
  const spa = el('input', { type: 'checkbox', id: 'spa', checked: !!settings.spa });
  const dev = el('input', { type: 'checkbox', id: 'development', checked: !!settings.development });
  const timeout = el('input', { type: 'number', id: 'timeout', min: 1, max: 30000, value: settings.functionTimeoutMs || '', placeholder: 'server default' });
  const save = el('button.primary', { type: 'submit' }, 'Save settings');
  return card('Settings', el('form.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      busy(save, async () => {
        const body = { spa: spa.checked, development: dev.checked };
        if (timeout.value) body.functionTimeoutMs = Number(timeout.value);
        await put('/api/sites/' + encodeURIComponent(site) + '/settings', body);
        toast('Settings saved.');
      });
    },
  },
  el('label.check', spa, ' Single-page app: unknown paths serve index.html'),
  el('label.check', dev, ' Development: function errors are shown in their responses'),
  el('label', { for: 'timeout' }, 'Function timeout (ms, 1–30000)'), timeout,
  save));
}

function envCard(site) {
  const box = el('div');
  const base = '/api/sites/' + encodeURIComponent(site) + '/env';
  const name = el('input', { id: 'env-name', required: true, placeholder: 'API_KEY', autocomplete: 'off' });
  const value = el('input', { id: 'env-value', required: true, autocomplete: 'off' });
  const secret = el('input', { type: 'checkbox', id: 'env-secret', checked: true });
  const add = el('button.primary', { type: 'submit' }, 'Set');
  async function load() {
    const { variables } = await get(base);
    clear(box, table([
      { label: 'Name', value: (v) => el('code', v.name) },
      { label: 'Value', value: (v) => (v.secret ? el('span.muted', '•••••••• (secret)') : v.value) },
      {
        label: 'Actions',
        value: (v) => rowButton('Remove', 'Remove ' + v.name, async () => {
          await del(base + '/' + encodeURIComponent(v.name));
          await load();
        }),
      },
    ], variables, 'No variables.'));
  }
  load().catch(showError);
  return card('Environment variables',
    el('form.inline', {
      onsubmit: (e) => {
        e.preventDefault();
        busy(add, async () => {
          await put(base + '/' + encodeURIComponent(name.value.trim()), { value: value.value, secret: secret.checked });
          name.value = '';
          value.value = '';
          await load();
        });
      },
    }, el('label', { for: 'env-name' }, 'Name'), name, el('label', { for: 'env-value' }, 'Value'), value,
    el('label.check', secret, ' secret'), add),
    box);
}

function egressCard(site) {
  const base = '/api/sites/' + encodeURIComponent(site) + '/egress';
  const hosts = el('textarea', { id: 'egress', rows: 3, placeholder: 'api.example.com\n127.0.0.1:9000' });
  const save = el('button.primary', { type: 'submit' }, 'Save allowlist');
  get(base).then((r) => { hosts.value = r.hosts.join('\n'); }, showError);
  return card('Egress allowlist', el('form.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      busy(save, async () => {
        await put(base, { hosts: hosts.value.split(/\s+/).filter(Boolean) });
        toast('Allowlist saved.');
      });
    },
  }, el('label', { for: 'egress' }, 'Hosts fazt.fetch may reach (one per line)'), hosts, save));
}

function logsCard(site) {
  const base = '/api/sites/' + encodeURIComponent(site) + '/logs';
  const lines = el('pre.log', { tabindex: 0, 'aria-label': 'Function log' });
  const follow = el('input', { type: 'checkbox', id: 'follow' });
  let last = 0;
  let timer = null;
  const fetchMore = async () => {
    const r = await get(base + '?limit=200' + (last ? '&after=' + last : ''));
    for (const entry of r.entries) {
      lines.append(new Date(entry.at).toLocaleTimeString() + ' ' + entry.level + ' ' + entry.message + '\n');
    }
    if (r.last) last = r.last;
    if (r.entries.length) lines.scrollTop = lines.scrollHeight;
  };
  follow.addEventListener('change', () => {
    clearInterval(timer);
    if (follow.checked) timer = setInterval(() => fetchMore().catch(showError), LogEveryMs);
  });
  fetchMore().catch(showError);
  return {
    node: card('Function log', el('label.check', follow, ' Follow live'), lines),
    stop: () => clearInterval(timer),
  };
}

export function sitePage(view, [name]) {
  let logs = null;
  const render = async () => {
    const site = await get('/api/sites/' + encodeURIComponent(name));
    if (logs) logs.stop();
    logs = logsCard(name);
    clear(view,
      el('div.heading', el('h1', site.name), el('a.live-url', { href: site.url, target: '_blank', rel: 'noopener' }, site.url)),
      card('Deploy', dropZone(name, () => refreshDeploys())),
      el('div', { id: 'deploys' }),
      el('div.grid2', domainsCard(name, site.url), settingsCard(name, site.settings || {})),
      el('div.grid2', envCard(name), egressCard(name)),
      logs.node);
    refreshDeploys();
  };
  const refreshDeploys = () => {
    const slot = view.querySelector('#deploys');
    if (slot) clear(slot, deploysCard(name, refreshDeploys));
  };
  render().catch((e) => {
    if (e.status === 401) throw e;
    clear(view, el('h1', name), el('p.error', e.message), el('a', { href: '#/sites' }, 'Back to the sites'));
  });
  return () => logs && logs.stop();
}
