// Entry point: session, hash router and page shell.
import { ApiError, get, post, setUnauthorizedHandler } from './api.js';
import { h, notice, replace } from './dom.js';
import { ROLES } from './labels.js';
import { renderLogin } from './pages/login.js';
import { renderSearch } from './pages/search.js';
import { renderCreate } from './pages/create.js';
import { renderIdentity } from './pages/identity.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
const whoami = document.getElementById('whoami');

/** The signed-in user and installation settings; null when signed out. */
const app = {
  session: null,
  settings: { highTrustDocuments: [], dataMatrix: false },
  /** A message shown once on the next page (e.g. after sign-out). */
  flash: null,
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  async signedIn() {
    await loadSession();
    const target = sessionStorage.getItem('santegw.after-login');
    sessionStorage.removeItem('santegw.after-login');
    app.go(target && target.startsWith('#/') && !target.startsWith('#/login') ? target : '#/search');
  },
};

async function loadSession() {
  try {
    const me = await get('/api/auth/me', { quiet401: true });
    const roles = me.roles ?? [];
    app.session = {
      name: me.name,
      roles,
      canWrite: roles.includes('front-desk') || roles.includes('identity-vigilance'),
      isVigilance: roles.includes('identity-vigilance'),
    };
    app.settings = await get('/api/ui/settings');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    app.session = null;
  }
  renderShell();
}

function renderShell() {
  const s = app.session;
  nav.hidden = !s;
  sessionBox.hidden = !s;
  document.getElementById('nav-new').hidden = !s?.canWrite;
  whoami.textContent = s ? `${s.name} · ${s.roles.map((r) => ROLES[r] ?? r).join(', ')}` : '';
}

setUnauthorizedHandler(() => {
  if (app.session) app.flash = { kind: 'warning', text: 'Votre session a expiré. Reconnectez-vous.' };
  app.session = null;
  renderShell();
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('santegw.after-login', location.hash);
    app.go('#/login');
  }
});

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await post('/api/auth/logout', undefined, { quiet401: true });
  } catch {
    // Signed out already: nothing to undo.
  }
  app.session = null;
  app.flash = { kind: 'success', text: 'Vous êtes déconnecté.' };
  renderShell();
  app.go('#/login');
});

function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const [path, queryString = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(queryString) };
}

let routing = 0;
async function route() {
  const ticket = ++routing;
  const { parts, params } = parseHash();
  const page = parts[0] ?? '';
  if (!app.session && page !== 'login') {
    if (location.hash && location.hash !== '#/') sessionStorage.setItem('santegw.after-login', location.hash);
    app.go('#/login');
    return;
  }
  if (app.session && (page === 'login' || page === '')) {
    app.go('#/search');
    return;
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.route === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = h('div', { class: 'view' });
  if (app.flash) {
    view.append(notice(app.flash.kind, app.flash.text));
    app.flash = null;
  }
  replace(main, view);
  try {
    if (page === 'login') await renderLogin(view, app);
    else if (page === 'search') await renderSearch(view, app, params);
    else if (page === 'new') await renderCreate(view, app);
    else if (page === 'identities' && parts[1]) await renderIdentity(view, app, parts[1]);
    else view.append(h('h1', { tabindex: '-1', text: 'Page introuvable' }), h('p', {}, h('a', { href: '#/search', text: 'Retour à la recherche' })));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    view.append(notice('error', 'Une erreur inattendue est survenue. Rechargez la page.'));
    throw e;
  }
  // Move focus to the page title so keyboard and screen-reader users start at the new content.
  if (ticket === routing) view.querySelector('h1')?.focus({ preventScroll: false });
}

window.addEventListener('hashchange', route);
await loadSession();
await route();
document.documentElement.dataset.ready = 'true';
