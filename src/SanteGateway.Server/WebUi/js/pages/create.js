// Create an identity: the strict traits from the identity document, field-level errors from the API.
import { ApiError, post } from '../api.js';
import { field, h, notice, todayIso, values } from '../dom.js';
import { CHANNELS, SEX_OPTIONS, documentLabel } from '../labels.js';
import { busy, resetProblem, showProblem } from '../forms.js';

export function renderCreate(view, app) {
  view.append(h('h1', { tabindex: '-1', text: 'Nouvelle identité' }));
  if (!app.session.canWrite) {
    view.append(notice('warning', 'Votre profil permet la consultation uniquement.'));
    return;
  }
  const summary = h('div', { class: 'summary' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Nouvelle identité' },
    h('p', { class: 'muted', text: 'Saisissez les traits stricts tels qu\'ils figurent sur la pièce d\'identité (nom de naissance, tous les prénoms dans l\'ordre).' }),
    summary,
    h('fieldset', {},
      h('legend', { text: 'Traits stricts' }),
      h('div', { class: 'grid2' },
        field({ name: 'birthName', label: 'Nom de naissance' }),
        field({ name: 'birthFirstNames', label: 'Prénom(s) de naissance', hint: 'Tous les prénoms, séparés par un espace.' }),
        field({ name: 'sex', label: 'Sexe', control: 'select', options: SEX_OPTIONS }),
        field({ name: 'birthDate', label: 'Date de naissance', type: 'date' }),
        field({ name: 'birthPlaceCog', label: 'Lieu de naissance (code COG)', hint: 'Code officiel géographique INSEE, ex. 75056 ; 99xxx si né à l\'étranger.' }),
        field({ name: 'firstFirstName', label: 'Premier prénom de naissance', hint: 'Facultatif : déduit de la liste si vide.' }))),
    h('fieldset', {},
      h('legend', { text: 'Traits complémentaires' }),
      h('div', { class: 'grid2' },
        field({ name: 'usedName', label: 'Nom utilisé' }),
        field({ name: 'usedFirstName', label: 'Prénom utilisé' }),
        field({ name: 'collectionChannel', label: 'Mode de recueil', control: 'select', value: 'SM',
          options: ['SM', 'CV', 'CB', 'RFID', 'AV'].map((c) => [c, CHANNELS[c]]) }))),
    h('fieldset', {},
      h('legend', { text: 'Pièce d\'identité contrôlée (facultatif)' }),
      h('p', { class: 'hint', text: 'Une pièce à haut niveau de confiance contrôlée à la création rend l\'identité validée (VALI).' }),
      h('div', { class: 'grid3' },
        field({ name: 'documentType', label: 'Type de pièce', control: 'select',
          options: [['', '— Aucune —'], ...(app.settings.highTrustDocuments ?? []).map((d) => [d, documentLabel(d)])] }),
        field({ name: 'checkedOn', label: 'Date du contrôle', type: 'date', value: todayIso() }),
        field({ name: 'expiresOn', label: 'Date d\'expiration', type: 'date' }))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', text: 'Créer l\'identité' }),
      h('a', { class: 'button secondary', href: '#/search', text: 'Annuler' })));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = values(form);
    const { documentType, checkedOn, expiresOn, ...body } = v;
    body.evidence = documentType ? { documentType, checkedOn: checkedOn || null, expiresOn: expiresOn || null } : null;
    // An empty field is an absent trait: the API then says "required" for a mandatory one.
    for (const k of Object.keys(body)) {
      if (body[k] === '') body[k] = null;
    }
    busy(form, async () => {
      try {
        const created = await post('/api/identities', body);
        resetProblem(form, summary);
        app.flash = { kind: 'success', text: `Identité créée (statut ${created.status}).` };
        app.go(`#/identities/${created.id}`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        showProblem(form, summary, e, 'evidence.');
      }
    });
  });
  view.append(form);
}
