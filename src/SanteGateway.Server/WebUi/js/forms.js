// Maps an RFC 7807 answer onto a form: each error next to the field it names, the rest in the form's summary.
import { clearErrors, h, notice, replace, setFieldError } from './dom.js';
import { FIELDS, describeProblem, translateFieldError } from './labels.js';

/**
 * Shows `error` (an ApiError) on `form`. `summary` is the element receiving the form-level message.
 * `prefix` is stripped from field names (e.g. "evidence.").
 */
export function showProblem(form, summary, error, prefix = '') {
  clearErrors(form);
  const unplaced = [];
  let first = null;
  for (const [rawName, messages] of Object.entries(error.fields ?? {})) {
    const name = rawName.startsWith(prefix) ? rawName.slice(prefix.length) : rawName;
    const wrapper = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    const text = messages.map(translateFieldError).join(' ');
    if (wrapper) {
      setFieldError(wrapper, text);
      first ??= wrapper.querySelector('input, select');
    } else {
      unplaced.push(`${FIELDS[name] ?? name} : ${text}`);
    }
  }
  const placed = first !== null;
  const headline = placed && error.status === 400
    ? 'Le formulaire contient des erreurs : corrigez les champs signalés.'
    : describeProblem(error);
  replace(summary, notice('error', h('p', { text: headline }), unplaced.length ? h('ul', {}, unplaced.map((u) => h('li', { text: u }))) : null));
  if (first) first.focus();
}

/** Clears the form's errors and summary. */
export function resetProblem(form, summary) {
  clearErrors(form);
  replace(summary);
}

/** Disables the submit buttons of `form` while `action` runs (no double submissions). */
export async function busy(form, action) {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute('aria-busy');
  }
}
