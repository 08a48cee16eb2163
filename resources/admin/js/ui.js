// Small DOM helpers: no framework, no inline script or style (the Content-Security-Policy
// forbids both), text always set as text.

// el('button.primary', {type: 'button', onclick: f}, 'Save'): tag with classes, attributes
// (on* are listeners, dataset entries as data-*), then children (strings become text).
export function el(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const node = document.createElement(tag || 'div');
  if (classes.length) node.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = value;
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

export const number = (n) => (Number.isFinite(n) ? n.toLocaleString('en') : '–');

export function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  if (s < 172800) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' days';
}

export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// A short message at the bottom of the screen; errors stay until dismissed.
export function toast(message, kind = 'info') {
  const box = document.querySelector('.toasts');
  const item = el('div.toast.' + kind, { role: kind === 'error' ? 'alert' : 'status' },
    el('span', message),
    el('button.icon', { type: 'button', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'));
  box.append(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  if (kind !== 'error') setTimeout(() => item.remove(), 5000);
}

export function showError(error) {
  toast(error && error.message ? error.message : String(error), 'error');
}

// A modal dialog (<dialog>: focus kept inside, Esc closes). `body` is a node or a list;
// buttons: [{label, value, kind}]. Resolves to the value of the button pressed (or null).
// `check(value)` may refuse a button press by returning a message.
export function dialog(title, body, buttons, check) {
  return new Promise((resolve) => {
    const error = el('p.error', { role: 'alert', hidden: true });
    const form = el('form', { method: 'dialog' },
      el('h2', title), body, error,
      el('div.buttons', buttons.map((b) => el('button' + (b.kind ? '.' + b.kind : ''),
        { type: 'submit', value: b.value }, b.label))));
    const box = el('dialog', { 'aria-label': title }, form);
    form.addEventListener('submit', (e) => {
      const value = e.submitter ? e.submitter.value : buttons[0].value;
      const refusal = check ? check(value) : null;
      if (refusal) {
        e.preventDefault();
        error.textContent = refusal;
        error.hidden = false;
      }
    });
    box.addEventListener('close', () => {
      box.remove();
      resolve(box.returnValue || null);
    });
    document.body.append(box);
    box.showModal();
  });
}

// Asks to type `word` before a destructive change; true when confirmed.
export async function typedConfirm(title, text, word, action) {
  const input = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Type ' + word + ' to confirm' });
  const answer = await dialog(title,
    [el('p', text), el('label', 'Type ', el('strong', word), ' to confirm:', input)],
    [{ label: action, value: 'yes', kind: 'danger' }, { label: 'Cancel', value: 'no', kind: 'secondary' }],
    (value) => (value === 'yes' && input.value.trim() !== word ? 'Type ' + word + ' exactly, or Cancel.' : null));
  return answer === 'yes';
}

// A <table> from rows: columns [{label, value(row) -> node|string}].
export function table(columns, rows, empty) {
  if (!rows.length) return el('p.muted', empty || 'Nothing yet.');
  return el('div.scroll', el('table',
    el('thead', el('tr', columns.map((c) => el('th', { scope: 'col' }, c.label)))),
    el('tbody', rows.map((r) => el('tr', columns.map((c) => el('td', { 'data-label': c.label }, c.value(r))))))));
}

export function card(title, ...children) {
  return el('section.card', el('h2', title), ...children);
}

// Runs `work` with `button` disabled; shows a failure.
export async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } catch (e) {
    showError(e);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

// A small button for a table row ("Delete", "Activate"): `action` runs with the button
// disabled; a failure is shown.
export function rowButton(text, label, action, kind = 'danger') {
  return el('button.small.' + kind, { type: 'button', 'aria-label': label, onclick: (e) => busy(e.currentTarget, action) }, text);
}
