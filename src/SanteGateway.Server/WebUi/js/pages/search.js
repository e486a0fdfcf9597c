// Identity search: birth name, first name, birth date, sex; paginated results with status badges and homonym hints.
import { ApiError, get, query } from '../api.js';
import { field, h, notice, values } from '../dom.js';
import { describeProblem, SEX } from '../labels.js';
import { showProblem, resetProblem } from '../forms.js';
import { statusBadge } from './widgets.js';

const PAGE_SIZE = 20;
const KEYS = ['birthName', 'firstName', 'birthDate', 'sex'];

export async function renderSearch(view, app, params) {
  const criteria = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? '']));
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const searched = params.has('q');

  const summary = h('div', { class: 'summary' });
  const form = h('form', { class: 'card search-form', role: 'search', novalidate: true, 'aria-label': 'Recherche d\'identités' },
    h('div', { class: 'grid4' },
      field({ name: 'birthName', label: 'Nom de naissance', value: criteria.birthName }),
      field({ name: 'firstName', label: 'Prénom', value: criteria.firstName }),
      field({ name: 'birthDate', label: 'Date de naissance', type: 'date', value: criteria.birthDate }),
      field({ name: 'sex', label: 'Sexe', control: 'select', value: criteria.sex, options: [['', 'Tous'], ['F', SEX.F], ['M', SEX.M], ['U', SEX.U]] })),
    h('p', { class: 'hint', text: 'Recherche exacte sur le nom et le prénom, sans tenir compte des accents ni des majuscules.' }),
    summary,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', text: 'Rechercher' }),
      app.session.canWrite ? h('a', { class: 'button secondary', href: '#/new', text: 'Créer une identité' }) : null));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = values(form);
    app.go(`#/search${query({ ...v, q: '1' })}`);
  });

  view.append(h('h1', { tabindex: '-1', text: 'Rechercher une identité' }), form);
  const results = h('section', { class: 'results', 'aria-label': 'Résultats', 'aria-live': 'polite' });
  view.append(results);
  if (!searched) return;
  sessionStorage.setItem('santegw.last-search', location.hash);

  let data;
  try {
    data = await get(`/api/identities${query({ ...criteria, page, pageSize: PAGE_SIZE })}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      showProblem(form, summary, e);
      return;
    }
    if (e instanceof ApiError) {
      results.append(notice('error', describeProblem(e)));
      return;
    }
    throw e;
  }
  resetProblem(form, summary);

  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const status = data.total === 0
    ? 'Aucune identité ne correspond à ces critères.'
    : `${data.total} identité${data.total > 1 ? 's' : ''} trouvée${data.total > 1 ? 's' : ''} · page ${data.page} sur ${pages}`;
  results.append(h('p', { class: 'result-count', id: 'result-count', text: status }));
  if (data.total === 0) {
    if (app.session.canWrite) results.append(h('p', {}, h('a', { href: '#/new', text: 'Créer une nouvelle identité' })));
    return;
  }

  const table = h('table', { class: 'table', 'aria-describedby': 'result-count' },
    h('caption', { class: 'visually-hidden', text: 'Identités trouvées' }),
    h('thead', {}, h('tr', {},
      ['Nom de naissance', 'Premier prénom', 'Sexe', 'Date de naissance', 'Statut', 'Vigilance'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, data.items.map((item) => h('tr', {},
      h('td', {}, h('a', { href: `#/identities/${item.id}`, text: item.birthName })),
      h('td', { text: item.firstFirstName }),
      h('td', { text: SEX[item.sex] ?? item.sex }),
      h('td', { text: frDateOnly(item.birthDate) }),
      h('td', {}, statusBadge(item.status)),
      h('td', {}, homonymHints(item.homonymHints))))));
  results.append(table);

  if (pages > 1) {
    const link = (p, text, rel) => h('a', { class: 'button secondary', href: `#/search${query({ ...criteria, q: '1', page: p })}`, rel, text });
    results.append(h('nav', { class: 'pager', 'aria-label': 'Pagination' },
      page > 1 ? link(page - 1, '← Page précédente', 'prev') : null,
      h('span', { text: `Page ${page} / ${pages}` }),
      page < pages ? link(page + 1, 'Page suivante →', 'next') : null));
  }
}

function frDateOnly(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

function homonymHints(hints) {
  if (!hints || hints.length === 0) return null;
  const text = hints.map((hint) => (hint === 'birth-name+birth-date'
    ? 'même nom et même date de naissance'
    : hint === 'birth-name+first-name' ? 'même nom et même prénom' : hint)).join(' ; ');
  return h('span', { class: 'hint-homonym', title: 'Risque de doublon ou de collision : vérifiez les traits avant de sélectionner.' },
    '⚠ Homonyme possible : ', text);
}
