// Dashboard: traffic over time from /api/stats, for all sites or one (visits, visitors,
// bandwidth; top sites, paths, referrers, status codes, browsers, events) and the server's
// live numbers from /api/system/metrics and /api/system/health, refreshed every few seconds.
import { get, post } from './api.js';
import { chartsReady, lineChart } from './charts.js';
import { bytes, card, clear, duration, el, number, showError, table } from './ui.js';

const ranges = {
  day: { label: '24 hours', seconds: 86400, bucket: 'hour' },
  week: { label: '7 days', seconds: 7 * 86400, bucket: 'hour' },
  month: { label: '30 days', seconds: 30 * 86400, bucket: 'day' },
};
const LiveEveryMs = 3000;

function tile(label, value, detail) {
  return el('div.tile', el('span.label', label), el('span.value', value), detail ? el('span.detail', detail) : null);
}

function meter(label, used, total, format) {
  const share = total > 0 ? Math.min(1, used / total) : 0;
  return el('div.meter',
    el('span.label', label),
    el('meter', { min: 0, max: 1, low: 0.75, high: 0.9, optimum: 0, value: share.toFixed(3), 'aria-label': label }),
    el('span.detail', format(used) + ' of ' + format(total)));
}

export function dashboardPage(view) {
  let range = sessionStorage.getItem('fazt.range') || 'day';
  if (!ranges[range]) range = 'day';
  const cleanups = [];
  const live = el('div.tiles', { id: 'live' }, el('p.muted', 'Loading…'));
  const traffic = el('div', { id: 'traffic' }, el('p.muted', 'Loading…'));
  const picker = el('div.segmented', { role: 'group', 'aria-label': 'Range' },
    Object.entries(ranges).map(([key, r]) => el('button', {
      type: 'button', 'aria-pressed': String(key === range),
      onclick: (e) => {
        range = key;
        sessionStorage.setItem('fazt.range', key);
        for (const b of picker.children) b.setAttribute('aria-pressed', String(b === e.currentTarget));
        loadTraffic();
      },
    }, r.label)));
  const refresh = el('button.secondary', { type: 'button', onclick: () => loadTraffic() }, 'Refresh');
  const siteFilter = el('select', { id: 'site-filter', 'aria-label': 'Site', onchange: () => loadTraffic() },
    el('option', { value: '' }, 'All sites'));
  get('/api/sites').then(({ sites }) => {
    for (const s of sites) siteFilter.append(el('option', { value: s.name }, s.name));
  }, () => null);
  clear(view,
    el('div.heading', el('h1', 'Dashboard'), siteFilter, picker, refresh),
    card('Server, live', live),
    traffic);

  async function loadTraffic() {
    try {
      // Counted traffic waits in RAM for up to the flush interval: write it first.
      await post('/api/stats/flush').catch(() => null);
      const r = ranges[range];
      const to = Math.floor(Date.now() / 1000);
      const site = siteFilter.value ? '&site=' + encodeURIComponent(siteFilter.value) : '';
      const stats = await get('/api/stats?bucket=' + r.bucket + '&from=' + (to - r.seconds) + '&to=' + (to + 1) + '&top=10' + site);
      await chartsReady();
      showTraffic(stats);
    } catch (e) {
      clear(traffic, el('p.error', e.message));
    }
  }

  function showTraffic(stats) {
    while (cleanups.length) cleanups.pop()();
    const t = stats.totals;
    const times = stats.series.map((p) => Date.parse(p.t) / 1000);
    const visitsChart = el('div.chart', { id: 'chart-visits' });
    const bytesChart = el('div.chart', { id: 'chart-bytes' });
    clear(traffic,
      el('div.tiles', { id: 'totals' },
        tile('Visits', number(t.visits)),
        tile('Visitors', number(t.visitors)),
        tile('Requests', number(t.hits)),
        tile('Bandwidth', bytes(t.bytes)),
        tile('Events', number(t.events))),
      el('div.grid2',
        card('Visits and visitors', visitsChart),
        card('Bandwidth', bytesChart)),
      el('div.grid3',
        card('Top sites', table([
          { label: 'Site', value: (r) => el('a', { href: '#/site/' + encodeURIComponent(r.site) }, r.site) },
          { label: 'Visits', value: (r) => number(r.visits) },
          { label: 'Bandwidth', value: (r) => bytes(r.bytes) },
        ], stats.topSites || [], 'No visits in this range.')),
        card('Top pages', table([
          { label: 'Site', value: (r) => r.site },
          { label: 'Path', value: (r) => el('span.path', r.path) },
          { label: 'Visits', value: (r) => number(r.visits) },
        ], stats.topPaths, 'No pages visited in this range.')),
        card('Referrers', table([
          { label: 'From', value: (r) => r.host },
          { label: 'Visits', value: (r) => number(r.visits) },
        ], stats.topReferrers, 'No referrers in this range.')),
        card('Status codes', table([
          { label: 'Status', value: (r) => el('span.status.s' + String(r.status)[0], String(r.status)) },
          { label: 'Count', value: (r) => number(r.count) },
        ], stats.statusCodes, 'No requests in this range.')),
        card('Browsers', table([
          { label: 'Browser', value: (r) => r.agent },
          { label: 'Visits', value: (r) => number(r.visits) },
        ], stats.agents, 'No browsers in this range.')),
        card('Events', table([
          { label: 'Event', value: (r) => r.name },
          { label: 'Count', value: (r) => number(r.count) },
        ], stats.topEvents, 'No events in this range (send them with /track).'))));
    cleanups.push(lineChart(visitsChart, times, [
      { label: 'Visits', values: stats.series.map((p) => p.visits), color: '--accent' },
      { label: 'Visitors', values: stats.series.map((p) => p.visitors), color: '--accent2' },
    ], (v) => number(Math.round(v))));
    cleanups.push(lineChart(bytesChart, times, [
      { label: 'Bandwidth', values: stats.series.map((p) => p.bytes), color: '--accent3' },
    ], bytes));
    // The first-load timing the browser test prints (time to the charts drawn).
    if (!window.faztChartsDrawnAt) window.faztChartsDrawnAt = performance.now();
    view.dataset.charts = 'drawn';
  }

  async function loadLive() {
    try {
      const [m, health] = await Promise.all([get('/api/system/metrics'), get('/api/system/health').catch((e) => ({ breakers: [], error: e.message }))]);
      const trips = Object.entries(m.breakers || {}).filter(([, n]) => n > 0);
      const tripped = (health.breakers || []).filter((b) => b.tripped);
      const fn = m.functions || {};
      clear(live,
        meter('File cache', m.cache.bytes, m.cache.budgetBytes, bytes),
        meter('Connections', m.connections.open, m.connections.cap, number),
        meter('Write queue', m.writeQueue.depth, m.writeQueue.capacity, number),
        m.stats ? meter('Stats buffer', m.stats.pendingBytes, m.stats.budgetBytes, bytes) : null,
        tile('Memory (RSS)', bytes(m.rssBytes), 'budget ' + bytes(m.limits.usableMemoryBytes)),
        tile('Uptime', duration(m.uptimeSeconds), health.version ? 'fazt ' + health.version : ''),
        tile('Cache hit rate', Math.round(100 * m.cache.hitRate) + ' %', number(m.cache.entries) + ' files'),
        tile('Requests', number(m.requests.total), ['2xx', '4xx', '5xx'].map((k) => k + ' ' + number(m.requests.byClass[k] || 0)).join(' · ')),
        fn.slots !== undefined ? tile('Functions', number(fn.running) + ' running', number(fn.invocations) + ' runs · ' + number(fn.slots) + ' slots · ' + number(fn.rejected) + ' refused') : null,
        tile('Breakers', tripped.length ? tripped.map((b) => b.kind).join(', ') + ' tripped' : 'all closed',
          trips.length ? 'trips: ' + trips.map(([k, n]) => k + ' ' + number(n)).join(', ') : 'no trips'),
        health.maintenance ? el('p.warning', 'Maintenance mode is on: sites answer 503 (System page to leave it).') : null);
    } catch (e) {
      if (e.status === 401) throw e;
      clear(live, el('p.error', e.message));
    }
  }

  loadLive().catch(showError);
  loadTraffic();
  const timer = setInterval(() => loadLive().catch(showError), LiveEveryMs);
  return () => {
    clearInterval(timer);
    while (cleanups.length) cleanups.pop()();
  };
}
