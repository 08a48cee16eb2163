// System: limits next to the safe values (past them only with the "break glass"
// confirmation the API asks for), recalibration, maintenance mode, certificates, API
// tokens, the backup download, config keys and the capacity simulator.
import { ApiError, del, get, post, put } from './api.js';
import { busy, bytes, card, clear, dialog, el, number, rowButton, showError, table, toast, when } from './ui.js';

const MiB = 1048576;
const settableLimits = ['cacheBytes', 'uploadRamBytes', 'largestUploadBytes', 'maxConnections', 'workerThreads',
  'maxConcurrentJs', 'jsWorkerMemoryBytes', 'sqliteCacheKiB', 'maintenanceRatio'];
const settableConfig = ['cache.large_file_bytes', 'stats.enabled', 'stats.flush_interval_ms', 'stats.flush_threshold',
  'stats.buffer_bytes', 'stats.retention_days'];
const isBytes = (key) => key.endsWith('Bytes');
const shown = (key, v) => (isBytes(key) ? bytes(v) : number(v));

function limitsCard() {
  const box = el('div', el('p.muted', 'Loading…'));
  const recalibrate = el('button.secondary', { type: 'button', id: 'recalibrate' }, 'Recalibrate');
  const save = el('button.primary', { type: 'submit' }, 'Save limits');
  const inputs = {};
  let current = {};

  async function load() {
    const r = await get('/api/system/limits');
    current = r.limits;
    const p = r.probe;
    clear(box,
      el('p.muted', 'This machine: ' + bytes(p.memoryBytes) + ' of memory, ' + number(p.cpus) + ' CPUs. Budget ' + bytes(r.limits.usableMemoryBytes) + '.'),
      table([
        { label: 'Limit', value: (k) => el('label', { for: 'limit-' + k }, k) },
        {
          label: 'In effect',
          value: (k) => {
            inputs[k] = el('input', {
              id: 'limit-' + k, type: 'number', min: 0, step: 'any', name: k,
              value: isBytes(k) ? +(r.limits[k] / MiB).toFixed(2) : r.limits[k],
            });
            return el('span.unit', inputs[k], isBytes(k) ? ' MiB' : '');
          },
        },
        { label: 'Safe here', value: (k) => shown(k, r.safe[k]) },
        { label: '', value: (k) => (r.limits[k] > r.safe[k] ? el('span.warning', 'above safe') : '') },
      ], settableLimits));
  }

  async function submit(force) {
    const changes = {};
    for (const k of settableLimits) {
      const raw = Number(inputs[k].value);
      const value = isBytes(k) ? Math.round(raw * MiB) : raw;
      if (inputs[k].value !== '' && Math.abs(value - current[k]) > (isBytes(k) ? MiB / 200 : 0)) changes[k] = value;
    }
    if (!Object.keys(changes).length) {
      toast('Nothing changed.');
      return;
    }
    try {
      const r = await put('/api/system/limits', { limits: changes, force });
      for (const w of r.warnings || []) toast(w, 'warning');
      toast('Limits saved and applied.');
      await load();
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'above_safe') throw e;
      const answer = await dialog('Above the safe value', [
        el('p.warning', e.message.replace(/ Pass "force": true to set it anyway\.$/, '')),
        el('p', 'Past the safe values the machine may run out of memory: the kernel then kills the server. Set it only if you know the machine has the memory.'),
      ], [
        { label: 'Break glass: set it anyway', value: 'force', kind: 'danger' },
        { label: 'Cancel', value: 'cancel', kind: 'secondary' },
      ]);
      if (answer === 'force') await submit(true);
    }
  }

  recalibrate.addEventListener('click', () => busy(recalibrate, async () => {
    const r = await post('/api/system/recalibrate');
    toast('Recalibrated for ' + bytes(r.probe.memoryBytes) + ' of memory: cache ' + bytes(r.limits.cacheBytes) + ', ' + number(r.limits.maxConnections) + ' connections.');
    await load();
  }));
  load().catch(showError);
  return card('Limits',
    el('p', recalibrate, ' measures this machine again and applies the safe limits for it, live.'),
    el('form', { onsubmit: (e) => { e.preventDefault(); busy(save, () => submit(false)); } }, box, save));
}

function maintenanceCard() {
  const state = el('p', 'Loading…');
  const toggle = el('button.secondary', { type: 'button' }, '…');
  let on = false;
  const load = async () => {
    const h = await get('/api/system/health').catch((e) => (e.status === 503 ? { maintenance: true } : Promise.reject(e)));
    on = !!h.maintenance;
    state.textContent = on ? 'Maintenance mode is on: every site answers 503; the admin stays up.' : 'Sites are served normally.';
    toggle.textContent = on ? 'Leave maintenance mode' : 'Enter maintenance mode';
  };
  toggle.addEventListener('click', () => busy(toggle, async () => {
    await post('/api/system/maintenance', { enabled: !on });
    await load();
  }));
  load().catch(showError);
  return card('Maintenance', state, toggle);
}

function certificatesCard() {
  const box = el('div', el('p.muted', 'Loading…'));
  const load = async () => {
    try {
      const { certificates } = await get('/api/certificates');
      clear(box, table([
        { label: 'Name', value: (c) => c.name },
        { label: 'Issuer', value: (c) => c.issuer },
        { label: 'Expires', value: (c) => when(c.not_after) },
        { label: 'Last error', value: (c) => (c.last_error ? el('span.error', c.last_error) : '–') },
        {
          label: 'Actions',
          value: (c) => rowButton('Renew', 'Renew ' + c.name, async () => {
            await post('/api/certificates/' + encodeURIComponent(c.name) + '/renew');
            toast('Renewing ' + c.name + '.');
          }, 'secondary'),
        },
      ], certificates, 'No certificates yet.'));
    } catch (e) {
      if (e.status !== 404) throw e;
      clear(box, el('p.muted', 'HTTPS is off on this server: start it with --https-port to have certificates.'));
    }
  };
  load().catch(showError);
  return card('Certificates', box);
}

function tokensCard() {
  const box = el('div', el('p.muted', 'Loading…'));
  const name = el('input', { id: 'token-name', required: true, placeholder: 'laptop', autocomplete: 'off' });
  const scopes = ['read', 'deploy', 'create-sites', 'admin'].map((s) => el('input', { type: 'checkbox', value: s, id: 'scope-' + s, checked: s === 'deploy' }));
  const sites = el('input', { id: 'token-sites', placeholder: 'all sites (or: blog, docs)', autocomplete: 'off' });
  const create = el('button.primary', { type: 'submit' }, 'Create token');
  const load = async () => {
    const { tokens } = await get('/api/tokens');
    clear(box, table([
      { label: 'Name', value: (t) => t.name },
      { label: 'Scopes', value: (t) => t.scopes },
      { label: 'Sites', value: (t) => (t.sites.length ? t.sites.join(', ') : 'all') },
      { label: 'Created', value: (t) => when(t.createdAt) },
      { label: 'Last used', value: (t) => when(t.lastUsedAt) },
      {
        label: 'Actions',
        value: (t) => rowButton('Revoke', 'Revoke ' + t.name, async () => {
          const answer = await dialog('Revoke ' + t.name + '?', el('p', 'Whatever uses this token is refused from now on.'),
            [{ label: 'Revoke', value: 'yes', kind: 'danger' }, { label: 'Cancel', value: 'no', kind: 'secondary' }]);
          if (answer !== 'yes') return;
          await del('/api/tokens/' + t.id);
          await load();
        }),
      },
    ], tokens, 'No tokens.'));
  };
  const form = el('form.stack', {
    onsubmit: (e) => {
      e.preventDefault();
      busy(create, async () => {
        const chosen = scopes.filter((s) => s.checked).map((s) => s.value);
        const limited = sites.value.split(/[\s,]+/).filter(Boolean);
        const t = await post('/api/tokens', { name: name.value.trim(), scopes: chosen, sites: limited });
        const secret = el('input.secret', { type: 'text', readonly: true, value: t.token, id: 'new-token', 'aria-label': 'The new token' });
        const copy = el('button.secondary', { type: 'button', onclick: () => navigator.clipboard.writeText(t.token).then(() => toast('Copied.'), showError) }, 'Copy');
        name.value = '';
        await load();
        await dialog('Token ' + t.name + ' created', [
          el('p', 'Shown once: store it now. Use it as Authorization: Bearer TOKEN, or FAZT_TOKEN for the fazt command.'),
          el('div.inline', secret, copy)], [{ label: 'Done', value: 'done', kind: 'primary' }]);
      });
    },
  },
  el('label', { for: 'token-name' }, 'Name'), name,
  el('fieldset', el('legend', 'Scopes'), scopes.map((s) => el('label.check', s, ' ' + s.value))),
  el('label', { for: 'token-sites' }, 'Limited to sites'), sites, create);
  load().catch(showError);
  return card('API tokens', form, box);
}

function configCard() {
  const box = el('div', el('p.muted', 'Loading…'));
  const load = async () => {
    const { values } = await get('/api/config');
    const keys = Object.keys(values).filter((k) => !k.startsWith('system.')).sort();
    clear(box, table([
      { label: 'Key', value: (k) => el('code', k) },
      {
        label: 'Value',
        value: (k) => {
          if (!settableConfig.includes(k)) return el('span.path', values[k]);
          const input = el('input', { type: 'number', value: values[k], 'aria-label': k });
          const save = el('button.secondary.small', {
            type: 'button',
            onclick: () => busy(save, async () => {
              const r = await put('/api/config', { [k]: Number(input.value) });
              for (const w of r.warnings || []) toast(w, 'warning');
              toast(k + ' saved.');
            }),
          }, 'Save');
          return el('span.inline', input, save);
        },
      },
    ], keys));
  };
  load().catch(showError);
  return card('Configuration', box);
}

function backupCard() {
  return card('Backup',
    el('p', 'A consistent copy of the whole database (sites, files, certificates, tokens, analytics), taken while the server runs.'),
    el('a.button', { href: '/api/system/backup', download: '' }, 'Download a backup'),
    el('p.muted', 'It holds TLS keys and secrets: keep it as safe as the server.'));
}

export function systemPage(view) {
  clear(view,
    el('div.heading', el('h1', 'System')),
    limitsCard(),
    el('div.grid2', maintenanceCard(), backupCard()),
    tokensCard(),
    certificatesCard(),
    card('Capacity simulator', el('p', 'What Fazt would allow itself on another machine: ',
      el('a', { href: location.protocol + '//' + location.host.replace(/^admin\./, '') + '/#simulator' }, 'the simulator on the landing page'),
      ' (or fazt simulate --ram 512M --cpus 1).')),
    configCard());
}
