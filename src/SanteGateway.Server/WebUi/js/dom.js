// Small DOM helpers. Text always goes through textContent: identity data is never parsed as HTML.

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<event>` (listener), `dataset`, boolean attributes
 * (true sets, false/null/undefined omits), anything else as an attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children to `el`, skipping null/undefined/false (unlike Element.append, which would print "null"). */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let idCounter = 0;
/** A unique element id with a readable prefix. */
export const uid = (prefix) => `${prefix}-${++idCounter}`;

/**
 * A labelled form field with a slot for its error message (linked through aria-describedby so assistive
 * technologies, and tests, read the error as the field's description).
 * `control` is 'input' (default), 'select' (with `options: [[value, label], ...]`).
 */
export function field({ name, label, type = 'text', value = '', control = 'input', options = [], hint, autocomplete, disabled }) {
  const id = uid(`f-${name}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  let input;
  if (control === 'select') {
    input = h('select', { id, name, disabled },
      options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, l)));
  } else {
    input = h('input', { id, name, type, value: value ?? '', autocomplete: autocomplete ?? 'off', disabled });
  }
  if (hintId) input.setAttribute('aria-describedby', hintId);
  const wrapper = h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id, text: label }),
    input,
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
  return wrapper;
}

/** Clears every field error of a form. */
export function clearErrors(form) {
  for (const wrapper of form.querySelectorAll('.field')) setFieldError(wrapper, null);
}

/** Shows (or clears with null) the error of one field wrapper. */
export function setFieldError(wrapper, message) {
  const input = wrapper.querySelector('input, select, textarea');
  const error = wrapper.querySelector('.field-error');
  const hint = wrapper.querySelector('.hint');
  if (message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [error.id, hint?.id].filter(Boolean).join(' '));
  } else {
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
    if (hint) input.setAttribute('aria-describedby', hint.id);
    else input.removeAttribute('aria-describedby');
  }
}

/** The form's values by input name (trimmed strings; checkboxes as booleans). */
export function values(form) {
  const result = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    result[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return result;
}

/** A status / alert box. kind: 'info' | 'success' | 'error' | 'warning'. */
export function notice(kind, ...children) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' || kind === 'warning' ? 'alert' : 'status' }, ...children);
}

/** Formats an ISO date (YYYY-MM-DD) as DD/MM/YYYY without time-zone shifts. */
export function frDate(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** Formats an ISO date-time in local French format. */
export function frDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'medium' });
}

/** Today as YYYY-MM-DD in local time. */
export function todayIso() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
