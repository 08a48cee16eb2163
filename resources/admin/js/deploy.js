// Deploy by drag-and-drop: an archive (zip, tar, tar.gz, ...) is sent as it is; a folder is
// packed here into a tar (gzip-compressed where the browser can) and sent to the same
// endpoint the CLI and the console use, POST /api/sites/NAME/deploys, which validates the
// whole archive before it stores anything.
import { upload } from './api.js';

const archivePattern = /\.(zip|tar|tgz|tar\.gz|tar\.xz|tar\.bz2|tar\.zst|tzst)$/i;
const encoder = new TextEncoder();

// [{path, file}] from a drop: folders walked through the File System entries; plain files
// with their webkitRelativePath (a folder chosen with <input webkitdirectory>) or name.
export async function filesFromDrop(dataTransfer) {
  const entries = [...(dataTransfer.items || [])]
    .map((item) => (item.kind === 'file' && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (entries.some((e) => e.isDirectory)) {
    const found = [];
    for (const entry of entries) {
      // A single dropped folder is the site's root; several items keep their names.
      const base = entries.length === 1 && entry.isDirectory ? '' : entry.name;
      await walk(entry, base, found);
    }
    return found;
  }
  return filesFromList(dataTransfer.files);
}

export function filesFromList(list) {
  const files = [...list];
  const relative = files.map((f) => f.webkitRelativePath || f.name);
  // "public/index.html", "public/css/a.css": the chosen folder is the site's root.
  const roots = new Set(relative.map((p) => (p.includes('/') ? p.split('/')[0] : '')));
  const strip = roots.size === 1 && !roots.has('');
  return files.map((file, i) => ({ path: strip ? relative[i].split('/').slice(1).join('/') : relative[i], file }));
}

function readEntries(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry, path, found) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    found.push({ path, file });
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await readEntries(reader); // at most 100 at a time
    if (!batch.length) break;
    for (const child of batch) await walk(child, path ? path + '/' + child.name : child.name, found);
  }
}

export function isArchive(files) {
  return files.length === 1 && archivePattern.test(files[0].file.name) && !files[0].path.includes('/');
}

// One 512-byte tar header (ustar; a PAX record first for a path ustar cannot hold).
function header(name, size, type, mtime) {
  const block = new Uint8Array(512);
  const put = (text, offset, length) => block.set(encoder.encode(text).subarray(0, length), offset);
  const octal = (n, offset, length) => put(n.toString(8).padStart(length - 1, '0') + '\0', offset, length);
  put(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(mtime, 136, 12);
  block.fill(0x20, 148, 156); // checksum field counts as spaces
  put(type, 156, 1);
  put('ustar\0' + '00', 257, 8);
  let sum = 0;
  for (const b of block) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return block;
}

function paxRecord(key, value) {
  const body = ' ' + key + '=' + value + '\n';
  // The record starts with its own length in decimal, digits included.
  const base = encoder.encode(body).length;
  let length = base + String(base).length;
  if (String(length).length > String(base).length) length = base + String(length).length;
  return encoder.encode(length + body);
}

const padding = (size) => new Uint8Array((512 - (size % 512)) % 512);

// Packs [{path, file}] into a tar Blob (file contents are not copied into memory: a Blob of
// Blobs). `onFile(done, total)` reports progress; `signal` cancels.
export async function packTar(files, onFile, signal) {
  const parts = [];
  let done = 0;
  for (const { path, file } of files) {
    if (signal && signal.aborted) throw new DOMException('Cancelled', 'AbortError');
    const mtime = Math.floor((file.lastModified || Date.now()) / 1000);
    const nameBytes = encoder.encode(path).length;
    if (nameBytes > 99 || /[^\x20-\x7e]/.test(path)) {
      const pax = paxRecord('path', path);
      parts.push(header('PaxHeader/' + path.slice(-80).replace(/[^\x20-\x7e]/g, '_'), pax.length, 'x', mtime), pax, padding(pax.length));
    }
    parts.push(header(path.slice(0, 99).replace(/[^\x20-\x7e]/g, '_'), file.size, '0', mtime), file, padding(file.size));
    onFile(++done, files.length);
    if (done % 200 === 0) await new Promise((r) => setTimeout(r)); // keep the page responsive
  }
  parts.push(new Uint8Array(1024));
  const tar = new Blob(parts, { type: 'application/x-tar' });
  if (typeof CompressionStream !== 'function') return tar;
  return new Response(tar.stream().pipeThrough(new CompressionStream('gzip'))).blob();
}

// The whole deploy: pack (if a folder), upload with progress. Returns {promise, cancel}.
// `report({phase, done, total})`: phase is 'packing' or 'uploading'.
export function deploy(site, files, report) {
  const controller = new AbortController();
  let sending = null;
  const promise = (async () => {
    const body = isArchive(files) ? files[0].file : await packTar(files, (done, total) => report({ phase: 'packing', done, total }), controller.signal);
    if (controller.signal.aborted) throw new DOMException('Cancelled', 'AbortError');
    sending = upload('/api/sites/' + encodeURIComponent(site) + '/deploys', body, (done, total) => report({ phase: 'uploading', done, total }));
    return sending.promise;
  })();
  return {
    promise,
    cancel: () => {
      controller.abort();
      if (sending) sending.abort();
    },
  };
}
