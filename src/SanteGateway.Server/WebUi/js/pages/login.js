// Sign-in page (cookie session).
import { ApiError, post } from '../api.js';
import { field, h, notice, replace, values } from '../dom.js';
import { busy } from '../forms.js';

export function renderLogin(view, app) {
  const summary = h('div', { class: 'summary', 'aria-live': 'assertive' });
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { tabindex: '-1', text: 'Connexion' }),
    h('p', { class: 'muted', text: 'Accès réservé au personnel de l\'établissement.' }),
    summary,
    field({ name: 'userName', label: 'Identifiant', autocomplete: 'username' }),
    field({ name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'current-password' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Se connecter' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = values(form);
    busy(form, async () => {
      try {
        await post('/api/auth/login', { userName: v.userName, password: v.password }, { quiet401: true });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        const text = e.status === 401
          ? (/locked/i.test(e.message) ? 'Compte temporairement verrouillé après plusieurs échecs. Réessayez plus tard.' : 'Identifiant ou mot de passe incorrect.')
          : e.status === 429 ? 'Trop de tentatives. Patientez une minute avant de réessayer.'
            : e.status === 400 ? 'Saisissez votre identifiant et votre mot de passe.'
              : 'Connexion impossible pour le moment.';
        replace(summary, notice('error', text));
        form.querySelector('input[name="password"]').value = '';
        form.querySelector('input[name="userName"]').focus();
        return;
      }
      await app.signedIn();
    });
  });
  view.append(form);
}
