// The landing page's script: the demo and dashboard links, and the capacity simulator: what
// Fazt would allow itself on a machine with this memory, these CPUs and this disk, computed by
// the server (GET /api/simulate on the admin host, public and rate-limited), so this page, the
// console and `fazt simulate` never disagree.
(function () {
  'use strict';
  const presets = [
    ['Tiny container: 256 MB, 0.5 CPU, 5 GB', 256, 0.5, 5],
    ['Smallest VPS: 512 MB, 1 vCPU, 10 GB', 512, 1, 10],
    ['Small VPS: 1 GB, 1 vCPU, 25 GB', 1024, 1, 25],
    ['Medium VPS: 2 GB, 2 vCPU, 50 GB', 2048, 2, 50],
    ['Large VPS: 4 GB, 2 vCPU, 80 GB', 4096, 2, 80],
    ['Dedicated: 16 GB, 8 cores, 500 GB', 16384, 8, 500],
  ];
  const MiB = 1048576;
  const $ = (id) => document.getElementById(id);
  // The demo and the dashboard live in front of the server's domain, port included
  // (localhost:8080); this page is also served at root.DOMAIN.
  const host = location.host.replace(/^(root|www)\./, '');
  const admin = location.protocol + '//admin.' + host;
  const link = document.querySelector('.admin-link');
  if (link) link.href = admin + '/';
  const demo = $('demo');
  if (demo) {
    demo.href = location.protocol + '//demo.' + host + '/';
    demo.textContent = 'demo.' + host;
  }

  function size(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i ? bytes.toFixed(bytes < 10 ? 1 : 0) : bytes) + ' ' + units[i];
  }
  const count = (n) => Number(n).toLocaleString('en');

  const select = $('preset');
  presets.forEach((p, i) => select.add(new Option(p[0], String(i))));
  select.add(new Option('Custom', 'custom'));
  select.value = '2';

  let pending = 0;
  async function update() {
    const ram = Number($('ram').value), cpus = Number($('cpus').value), disk = Number($('disk').value);
    $('ram-out').textContent = size(ram * MiB);
    $('cpus-out').textContent = String(cpus);
    $('disk-out').textContent = disk + ' GiB';
    const match = presets.findIndex((p) => p[1] === ram && p[2] === cpus && p[3] === disk);
    select.value = match >= 0 ? String(match) : 'custom';
    const ticket = ++pending;
    const error = $('simulator-error');
    try {
      const response = await fetch(admin + '/api/simulate?memoryBytes=' + ram * MiB + '&cpus=' + cpus + '&diskBytes=' + disk * 1073741824);
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + response.status);
      if (ticket !== pending) return;
      const l = body.limits;
      const rows = [
        ['Memory budget', size(l.usableMemoryBytes)],
        ['File cache', size(l.cacheBytes)],
        ['Connections', count(l.maxConnections)],
        ['Visitors at once (estimate)', count(l.concurrentVisitors)],
        ['Worker threads', count(l.workerThreads)],
        ['Function workers', count(l.maxConcurrentJs) + ' × ' + size(l.jsWorkerMemoryBytes)],
        ['Upload RAM buffer', size(l.uploadRamBytes)],
        ['Largest upload', size(l.largestUploadBytes)],
        ['SQLite cache per connection', size(l.sqliteCacheKiB * 1024)],
      ];
      const list = $('limits');
      list.replaceChildren(...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt'); dt.textContent = k;
        const dd = document.createElement('dd'); dd.textContent = v;
        return [dt, dd];
      }));
      error.hidden = true;
    } catch (e) {
      error.textContent = 'The simulator cannot reach the server: ' + e.message;
      error.hidden = false;
    }
  }
  let timer = 0;
  const later = () => { clearTimeout(timer); timer = setTimeout(update, 120); };
  ['ram', 'cpus', 'disk'].forEach((id) => $(id).addEventListener('input', later));
  select.addEventListener('change', () => {
    const p = presets[Number(select.value)];
    if (!p) return;
    $('ram').value = p[1]; $('cpus').value = p[2]; $('disk').value = p[3];
    update();
  });
  update();
}());
