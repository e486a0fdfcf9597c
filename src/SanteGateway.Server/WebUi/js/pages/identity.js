// Identity page: traits (with optimistic-concurrency edit), status, INS, INSi calls, evidence, attributes, audit.
import { ApiError, get, patch, post, query } from '../api.js';
import { add, field, frDate, frDateTime, h, notice, replace, todayIso, values } from '../dom.js';
import {
  AUDIT_ACTIONS, CHANNELS, FIELDS, INSI_OUTCOMES, SEX, SEX_OPTIONS, STATUS, describeProblem, documentLabel,
} from '../labels.js';
import { busy, resetProblem, showProblem } from '../forms.js';
import { attributeBadges, formatMatricule, statusBadge } from './widgets.js';

const OID_KINDS = {
  '1.2.250.1.213.1.4.8': 'NIR',
  '1.2.250.1.213.1.4.9': 'NIA',
  '1.2.250.1.213.1.4.10': 'INS de test',
  '1.2.250.1.213.1.4.11': 'INS de démonstration',
};

const EDITABLE = ['birthName', 'birthFirstNames', 'firstFirstName', 'sex', 'birthDate', 'birthPlaceCog', 'usedName', 'usedFirstName'];

export async function renderIdentity(view, app, id) {
  const state = { identity: null, editing: false, insiResult: null, message: null, audit: null };
  try {
    state.identity = await get(`/api/identities/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
      view.append(h('h1', { tabindex: '-1', text: 'Identité introuvable' }), h('p', {}, h('a', { href: '#/search', text: 'Retour à la recherche' })));
      return;
    }
    throw e;
  }

  const root = h('div', { class: 'identity' });
  const banner = h('div', { class: 'banner', 'aria-live': 'polite' });
  view.append(root);

  /** Replaces the identity after a successful change and redraws; the audit trail is reloaded too. */
  const updated = (identity, message) => {
    state.identity = identity;
    // A later change makes the previous INSi answer and the page's arrival message stale.
    if (message) state.insiResult = null;
    view.querySelector(':scope > .notice')?.remove();
    state.message = message ? { kind: 'success', text: message } : null;
    draw();
    // The page was redrawn: put keyboard focus on what the action produced, not back at the top.
    (message ? banner.firstElementChild : root.querySelector('.insi-result > .notice'))?.focus();
    loadAudit();
  };

  /** Shows a whole-request failure; a 409 stale version gets a reload button. */
  const failed = (e) => {
    if (!(e instanceof ApiError)) throw e;
    // 401: the session handler has already taken the user to the sign-in page.
    if (e.status === 401) return;
    state.message = { kind: 'error', text: describeProblem(e), stale: e.status === 409 && e.rule === 'concurrency.stale' };
    renderBanner();
    banner.querySelector('[role="alert"]')?.focus();
  };

  function renderBanner() {
    const m = state.message;
    if (!m) {
      replace(banner);
      return;
    }
    const box = notice(m.kind, h('p', { text: m.text }),
      m.stale ? h('button', { type: 'button', class: 'secondary', text: 'Recharger l\'identité', onclick: reload }) : null);
    box.tabIndex = -1;
    replace(banner, box);
  }

  async function reload() {
    try {
      state.identity = await get(`/api/identities/${encodeURIComponent(id)}`);
      state.editing = false;
      state.message = { kind: 'info', text: 'Identité rechargée : version actuelle affichée.' };
      draw();
      loadAudit();
    } catch (e) {
      failed(e);
    }
  }

  const exchangesBox = h('section', { class: 'card', 'aria-labelledby': 'exchanges-title', hidden: true });
  async function loadExchanges() {
    let data;
    try {
      // The latest 100 exchanges are plenty at a desk; the API pages further if ever needed.
      data = await get(`/api/identities/${encodeURIComponent(id)}/insi-exchanges${query({ pageSize: 100 })}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      exchangesBox.hidden = true;
      return;
    }
    drawExchanges(data);
  }

  const auditBox = h('section', { class: 'card', 'aria-labelledby': 'audit-title' });
  async function loadAudit(page = 1) {
    if (page === 1) loadExchanges();
    try {
      state.audit = await get(`/api/identities/${encodeURIComponent(id)}/audit${query({ page, pageSize: 50 })}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      state.audit = { error: describeProblem(e) };
    }
    drawAudit();
  }

  function draw() {
    const i = state.identity;
    const s = app.session;
    const title = `${i.birthName} ${i.firstFirstName}`;
    replace(root,
      h('p', { class: 'back' }, h('a', { href: sessionStorage.getItem('santegw.last-search') ?? '#/search', text: '← Retour à la recherche' })),
      h('div', { class: 'identity-head' },
        h('h1', { tabindex: '-1' }, title, ' ', statusBadge(i.status), ' ', attributeBadges(i.attributes)),
        h('p', { class: 'muted', text: STATUS[i.status]?.help ?? '' }),
        h('p', { class: 'muted small', text: `Version ${i.version} · créée le ${frDateTime(i.createdAt)} · modifiée le ${frDateTime(i.updatedAt)}` })),
      banner,
      h('div', { class: 'columns' },
        h('div', {}, traitsSection(i, s), insSection(i, s), evidenceSection(i, s)),
        h('div', {}, attributesSection(i, s), dataMatrixSection(i)),
      ),
      exchangesBox,
      auditBox);
    renderBanner();
  }

  // ---------- Traits ----------
  function traitsSection(i, s) {
    const section = h('section', { class: 'card', 'aria-labelledby': 'traits-title' },
      h('h2', { id: 'traits-title', text: 'Traits d\'identité' }));
    if (!state.editing) {
      add(section,
        h('dl', { class: 'traits' },
          row('Nom de naissance', i.birthName),
          row('Prénom(s) de naissance', i.birthFirstNames),
          row('Premier prénom de naissance', i.firstFirstName),
          row('Sexe', SEX[i.sex] ?? i.sex),
          row('Date de naissance', frDate(i.birthDate)),
          row('Lieu de naissance (COG)', i.birthPlaceCog ?? '—'),
          row('Nom utilisé', i.usedName ?? '—'),
          row('Prénom utilisé', i.usedFirstName ?? '—'),
          row('Mode de recueil', CHANNELS[i.collectionChannel] ?? i.collectionChannel),
          row('Dernier appel INSi', i.insiCalledAt ? frDateTime(i.insiCalledAt) : '—')),
        s.canWrite ? h('div', { class: 'actions' }, h('button', {
          type: 'button', class: 'secondary', text: 'Modifier les traits',
          onclick: () => { state.editing = true; state.message = null; draw(); root.querySelector('#traits-form input:not([disabled])')?.focus(); },
        })) : null);
      return section;
    }

    const locked = i.status !== 'PROV' && !s.isVigilance;
    const summary = h('div', { class: 'summary' });
    const strict = (name, label, extra = {}) => field({ name, label, value: i[name], disabled: locked, ...extra });
    const form = h('form', { id: 'traits-form', novalidate: true, 'aria-label': 'Modifier les traits' },
      locked ? notice('info', 'Les traits stricts d\'une identité ' + i.status + ' sont verrouillés : seule la cellule d\'identitovigilance peut les modifier. Les traits complémentaires restent modifiables.') : null,
      summary,
      h('div', { class: 'grid2' },
        strict('birthName', 'Nom de naissance'),
        strict('birthFirstNames', 'Prénom(s) de naissance'),
        strict('firstFirstName', 'Premier prénom de naissance'),
        strict('sex', 'Sexe', { control: 'select', options: SEX_OPTIONS }),
        strict('birthDate', 'Date de naissance', { type: 'date' }),
        field({ name: 'birthPlaceCog', label: 'Lieu de naissance (code COG)', value: i.birthPlaceCog ?? '', disabled: locked }),
        field({ name: 'usedName', label: 'Nom utilisé', value: i.usedName ?? '' }),
        field({ name: 'usedFirstName', label: 'Prénom utilisé', value: i.usedFirstName ?? '' })),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', text: 'Enregistrer les traits' }),
        h('button', {
          type: 'button', class: 'secondary', text: 'Annuler',
          onclick: () => { state.editing = false; draw(); root.querySelector('#traits-title')?.parentElement.querySelector('button')?.focus(); },
        })));
    const editedVersion = i.version;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const v = values(form);
      // Send only what changed: null leaves a trait as it is, "" clears an optional one.
      const body = {};
      for (const name of EDITABLE) {
        if (!(name in v)) continue;
        const before = i[name] ?? '';
        if (v[name] !== before) body[name] = v[name];
      }
      if (Object.keys(body).length === 0) {
        state.editing = false;
        state.message = { kind: 'info', text: 'Aucune modification.' };
        draw();
        return;
      }
      busy(form, async () => {
        try {
          const identity = await patch(`/api/identities/${i.id}`, body, { ifMatch: editedVersion });
          resetProblem(form, summary);
          state.editing = false;
          updated(identity, 'Traits enregistrés.');
        } catch (e) {
          if (e instanceof ApiError && e.status === 409 && e.rule === 'concurrency.stale') {
            resetProblem(form, summary);
            failed(e);
            return;
          }
          if (e instanceof ApiError && e.status === 400) {
            showProblem(form, summary, e);
            return;
          }
          failed(e);
        }
      });
    });
    add(section, form);
    return section;
  }

  // ---------- INS and INSi ----------
  function insSection(i, s) {
    const section = h('section', { class: 'card', 'aria-labelledby': 'ins-title' }, h('h2', { id: 'ins-title', text: 'INS et téléservice INSi' }));
    if (i.ins) {
      add(section, h('dl', { class: 'traits', 'aria-label': 'INS' },
        row('Matricule INS', h('span', { class: 'mono', 'data-testid': 'ins-matricule', text: formatMatricule(i.ins.matricule) })),
        row('Autorité (OID)', `${i.ins.oid}${OID_KINDS[i.ins.oid] ? ` · ${OID_KINDS[i.ins.oid]}` : ''}`),
        row('Obtenu le', frDateTime(i.ins.obtainedAt)),
        row('Source', i.ins.source),
        row('Transmission', i.canTransmitIns ? 'Transmissible (identité qualifiée)' : 'Non transmissible tant que l\'identité n\'est pas qualifiée')));
    } else {
      add(section, h('p', { class: 'muted', text: 'Aucun INS pour cette identité.' }));
    }

    const blocked = i.attributes.includes('DOUT') || i.attributes.includes('FICT');
    const noSex = i.sex !== 'F' && i.sex !== 'M';
    const reason = !s.canWrite ? 'Votre profil permet la consultation uniquement.'
      : blocked ? 'INSi ne peut pas être interrogé pour une identité douteuse ou fictive.'
        : noSex ? 'INSi exige le sexe F ou M.' : null;
    const result = h('div', { class: 'insi-result', 'aria-live': 'polite' });
    const callInsi = async (button, operation) => {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      replace(result, notice('info', 'Interrogation du téléservice INSi…'));
      try {
        const r = await post(`/api/identities/${i.id}/insi-${operation}`);
        state.insiResult = { operation, result: r };
        updated(r.identity, null);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.status === 401) return;
        state.insiResult = { operation, error: describeProblem(e) };
        draw();
        root.querySelector('.insi-result > .notice')?.focus();
      }
    };
    const searchButton = h('button', { type: 'button', text: 'Interroger INSi', disabled: Boolean(reason) });
    searchButton.addEventListener('click', () => callInsi(searchButton, 'search'));
    const verifyButton = h('button', { type: 'button', class: 'secondary', text: 'Vérifier l\'INS', disabled: Boolean(reason) || !i.ins });
    verifyButton.addEventListener('click', () => callInsi(verifyButton, 'verify'));
    add(section, h('div', { class: 'actions' }, searchButton, verifyButton), reason ? h('p', { class: 'hint', text: reason }) : null, result);
    if (state.insiResult) result.append(insiResultView(state.insiResult));

    if (i.insHistory.length > 0) {
      add(section, h('h3', { text: 'Historique des INS' }), h('table', { class: 'table compact' },
        h('thead', {}, h('tr', {}, ['Matricule', 'OID', 'Obtenu le', 'Source', 'Actif'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, i.insHistory.map((x) => h('tr', {},
          h('td', { class: 'mono', text: formatMatricule(x.matricule) }),
          h('td', { text: x.oid }),
          h('td', { text: frDateTime(x.obtainedAt) }),
          h('td', { text: x.source }),
          h('td', { text: x.active ? 'Oui' : 'Non' }))))));
    }
    return section;
  }

  function insiResultView({ operation, result: r, error }) {
    const title = operation === 'search' ? 'Résultat de l\'interrogation INSi' : 'Résultat de la vérification de l\'INS';
    if (error) return h('div', { class: 'notice notice-error', role: 'alert', 'aria-label': title, tabindex: '-1' }, h('strong', { text: title }), h('p', { text: error }));
    const kind = r.applied ? 'success' : r.outcome === 'found' && r.mismatches.length === 0 ? 'info' : 'warning';
    let text;
    if (r.applied) {
      text = operation === 'search'
        ? `INS récupéré. Statut de l'identité : ${r.identity.status}.`
        : `INS vérifié. Statut de l'identité : ${r.identity.status}.`;
    } else if (r.mismatches.length > 0) {
      text = 'Les traits renvoyés par INSi diffèrent de l\'identité locale : rien n\'a été appliqué. Vérifiez la pièce d\'identité ; la correction des traits relève de la cellule d\'identitovigilance.';
    } else if (r.outcome === 'not-found') {
      text = operation === 'search' ? 'INSi n\'a trouvé aucune identité pour ces traits ; rien n\'a été modifié.' : 'INSi ne confirme pas cet INS pour ces traits ; rien n\'a été modifié.';
    } else if (r.outcome === 'multiple') {
      text = 'INSi a renvoyé plusieurs identités : complétez les traits (lieu de naissance) et réessayez.';
    } else {
      text = r.message ?? '';
    }
    return h('div', { class: `notice notice-${kind}`, role: 'status', 'aria-label': title, tabindex: '-1' },
      h('strong', { text: title }),
      h('dl', { class: 'inline' },
        row('Résultat', INSI_OUTCOMES[r.outcome] ?? r.outcome),
        row('Code retour (CR)', r.code ?? '—'),
        row('Appliqué', r.applied ? 'Oui' : 'Non')),
      h('p', { class: 'insi-message', text }),
      r.mismatches.length > 0 ? h('table', { class: 'table compact' },
        h('caption', { text: 'Traits divergents' }),
        h('thead', {}, h('tr', {}, ['Trait', 'Identité locale', 'INSi'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, r.mismatches.map((m) => h('tr', {}, h('td', { text: FIELDS[m.field] ?? m.field }), h('td', { text: m.local ?? '—' }), h('td', { text: m.insi ?? '—' }))))) : null,
      h('p', { class: 'muted small', text: `Échange n° ${r.exchangeId}` }));
  }

  // ---------- Evidence ----------
  function evidenceSection(i, s) {
    const section = h('section', { class: 'card', 'aria-labelledby': 'evidence-title' }, h('h2', { id: 'evidence-title', text: 'Justificatifs d\'identité' }));
    if (i.evidence.length === 0) {
      add(section, h('p', { class: 'muted', text: 'Aucune pièce contrôlée.' }));
    } else {
      add(section, h('table', { class: 'table compact' },
        h('caption', { class: 'visually-hidden', text: 'Pièces contrôlées' }),
        h('thead', {}, h('tr', {}, ['Pièce', 'Haut niveau de confiance', 'Contrôlée le', 'Expire le', 'Par', 'Retirée le'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, i.evidence.map((e) => h('tr', {},
          h('td', { text: documentLabel(e.documentType) }),
          h('td', { text: e.highTrust ? 'Oui' : 'Non' }),
          h('td', { text: frDate(e.checkedOn) }),
          h('td', { text: e.expiresOn ? frDate(e.expiresOn) : '—' }),
          h('td', { text: e.checkedBy }),
          h('td', { text: e.withdrawnAt ? frDateTime(e.withdrawnAt) : '—' }))))));
    }
    if (!s.canWrite) return section;

    const docs = app.settings.highTrustDocuments ?? [];
    const summary = h('div', { class: 'summary' });
    const form = h('form', { novalidate: true, 'aria-label': 'Ajouter un justificatif' },
      h('h3', { text: 'Ajouter un justificatif contrôlé' }),
      summary,
      h('div', { class: 'grid3' },
        field({ name: 'documentType', label: 'Type de pièce', control: 'select', options: [['', '— Choisir —'], ...docs.map((d) => [d, documentLabel(d)])] }),
        field({ name: 'checkedOn', label: 'Date du contrôle', type: 'date', value: todayIso() }),
        field({ name: 'expiresOn', label: 'Date d\'expiration', type: 'date', hint: 'Facultatif selon la pièce.' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Ajouter le justificatif' })));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const v = values(form);
      busy(form, async () => {
        try {
          const identity = await post(`/api/identities/${i.id}/evidence`, { documentType: v.documentType, checkedOn: v.checkedOn, expiresOn: v.expiresOn || null }, { ifMatch: i.version });
          updated(identity, `Justificatif ajouté. Statut de l'identité : ${identity.status}.`);
        } catch (e) {
          if (e instanceof ApiError && e.status === 400) {
            showProblem(form, summary, e);
            return;
          }
          failed(e);
        }
      });
    });
    add(section, form);
    return section;
  }

  // ---------- Attributes (identity vigilance) ----------
  function attributesSection(i, s) {
    const section = h('section', { class: 'card', 'aria-labelledby': 'attributes-title' }, h('h2', { id: 'attributes-title', text: 'Attributs d\'identitovigilance' }));
    const can = s.isVigilance;
    const summary = h('div', { class: 'summary' });
    const box = (name, code, label, help) => h('div', { class: 'check' },
      h('input', { type: 'checkbox', id: `attr-${name}`, name, checked: i.attributes.includes(code), disabled: !can, 'aria-describedby': `attr-${name}-help` }),
      h('label', { for: `attr-${name}`, text: label }),
      h('p', { class: 'hint', id: `attr-${name}-help`, text: help }));
    const form = h('form', { novalidate: true, 'aria-label': 'Attributs d\'identitovigilance' },
      summary,
      box('homonym', 'HOMA', 'Homonyme', 'Homonymie connue avec une autre identité.'),
      box('doubtful', 'DOUT', 'Douteuse', 'Doute sur l\'identité : statut ramené à PROV, INS invalidé, appels INSi bloqués.'),
      box('fictitious', 'FICT', 'Fictive', 'Identité d\'emprunt (anonymat, exercice) : mêmes effets que « douteuse ».'),
      can
        ? h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Enregistrer les attributs' }))
        : h('p', { class: 'hint', text: 'Réservé à la cellule d\'identitovigilance.' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const v = values(form);
      busy(form, async () => {
        try {
          const identity = await post(`/api/identities/${i.id}/attributes`, { homonym: v.homonym, doubtful: v.doubtful, fictitious: v.fictitious }, { ifMatch: i.version });
          updated(identity, `Attributs enregistrés. Statut de l'identité : ${identity.status}.`);
        } catch (e) {
          if (e instanceof ApiError && (e.status === 400 || e.status === 403)) {
            replace(summary, notice('error', describeProblem(e)));
            return;
          }
          failed(e);
        }
      });
    });
    add(section, form);

    if (can && i.status === 'QUAL') {
      // The gateway requires a reason for the withdrawal (audited).
      const reason = h('input', { id: 'revert-reason', type: 'text', maxlength: 500, autocomplete: 'off' });
      const revert = h('button', { type: 'button', class: 'danger', text: 'Retirer la qualification' });
      revert.addEventListener('click', async () => {
        if (!reason.value.trim()) {
          state.message = { kind: 'error', text: 'Indiquez le motif du retrait de la qualification.' };
          renderBanner();
          reason.focus();
          return;
        }
        revert.disabled = true;
        try {
          const identity = await post(`/api/identities/${i.id}/revert-qualification`, { reason: reason.value.trim() }, { ifMatch: i.version });
          updated(identity, `Qualification retirée. Statut de l'identité : ${identity.status}.`);
        } catch (e) {
          revert.disabled = false;
          failed(e);
        }
      });
      add(section, h('div', { class: 'actions' }, h('label', { for: 'revert-reason', text: 'Motif du retrait' }), reason, revert));
    }
    return section;
  }

  // ---------- DataMatrix ----------
  function dataMatrixSection(i) {
    if (!app.settings.dataMatrix || i.status !== 'QUAL') return null;
    return h('section', { class: 'card', 'aria-labelledby': 'dm-title' },
      h('h2', { id: 'dm-title', text: 'DataMatrix INS' }),
      h('img', { class: 'datamatrix', src: `/api/identities/${i.id}/datamatrix.svg?v=${i.version}`, alt: 'DataMatrix INS de l\'identité', width: 160, height: 160 }),
      h('p', { class: 'hint', text: 'À imprimer sur les documents transmis (étiquettes, comptes rendus).' }));
  }

  // ---------- INSi exchanges (traceability; raw messages for identity vigilance) ----------
  function drawExchanges(data) {
    exchangesBox.hidden = data.total === 0;
    const showXml = app.session?.isVigilance;
    replace(exchangesBox,
      h('h2', { id: 'exchanges-title', text: 'Échanges avec le téléservice INSi' }),
      h('table', { class: 'table compact' },
        h('caption', { class: 'visually-hidden', text: 'Échanges INSi' }),
        h('thead', {}, h('tr', {}, ['Date', 'Opération', 'Résultat', 'Détail', 'Certificat', 'Durée', 'Auteur'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, data.items.map((x) => [
          h('tr', {},
            h('td', { text: frDateTime(x.occurredAt) }),
            h('td', { text: x.operation === 'search' ? 'Recherche' : x.operation === 'verify' ? 'Vérification' : x.operation }),
            h('td', { text: INSI_OUTCOMES[x.outcome] ?? x.outcome }),
            h('td', { text: x.detail ?? '—' }),
            h('td', { text: x.certificateCn ?? '—' }),
            h('td', { text: `${x.durationMs} ms` }),
            h('td', { text: x.actor })),
          showXml && (x.requestXml || x.responseXml) ? h('tr', { class: 'xml-row' }, h('td', { colspan: '7' },
            h('details', {},
              h('summary', { text: 'Messages SOAP bruts (requête et réponse)' }),
              h('h3', { text: 'Requête' }), h('pre', { class: 'xml', text: x.requestXml ?? '—' }),
              h('h3', { text: 'Réponse' }), h('pre', { class: 'xml', text: x.responseXml ?? '—' })))) : null,
        ]))));
  }

  // ---------- Audit ----------
  function drawAudit() {
    const a = state.audit;
    replace(auditBox, h('h2', { id: 'audit-title', text: 'Historique (traçabilité)' }));
    if (!a) return;
    if (a.error) {
      auditBox.append(notice('error', a.error));
      return;
    }
    auditBox.append(h('table', { class: 'table compact audit' },
      h('caption', { class: 'visually-hidden', text: 'Événements de traçabilité' }),
      h('thead', {}, h('tr', {}, ['N°', 'Date', 'Auteur', 'Canal', 'Action', 'Détail'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, a.items.map((e) => h('tr', {},
        h('td', { text: String(e.sequence) }),
        h('td', { text: frDateTime(e.occurredAt) }),
        h('td', { text: e.actor }),
        h('td', { text: e.source === 'ui' ? 'Interface' : e.source === 'api' ? 'API' : e.source }),
        h('td', { text: AUDIT_ACTIONS[e.action] ?? e.action }),
        h('td', { class: 'small', text: auditDetail(e) }))))));
    const pages = Math.ceil(a.total / a.pageSize);
    if (pages > 1) {
      auditBox.append(h('nav', { class: 'pager', 'aria-label': 'Pagination de l\'historique' },
        a.page > 1 ? h('button', { type: 'button', class: 'secondary', text: '← Précédents', onclick: () => loadAudit(a.page - 1) }) : null,
        h('span', { text: `Page ${a.page} / ${pages}` }),
        a.page < pages ? h('button', { type: 'button', class: 'secondary', text: 'Suivants →', onclick: () => loadAudit(a.page + 1) }) : null));
    }
  }

  draw();
  await loadAudit();
}

function row(label, value) {
  return [h('dt', { text: label }), h('dd', {}, value ?? '—')];
}

/** A one-line summary of what an audit event changed. */
function auditDetail(e) {
  const parse = (text) => {
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  };
  const before = parse(e.previousValues);
  const after = parse(e.newValues);
  if (!after) return '';
  if (e.action.startsWith('insi.')) {
    return [after.outcome ? `résultat : ${INSI_OUTCOMES[after.outcome] ?? after.outcome}` : null, after.code ? `CR ${after.code}` : null].filter(Boolean).join(' · ');
  }
  if (!before) return after.status ? `statut ${after.status}` : '';
  const names = { ...FIELDS, status: 'statut', attributes: 'attributs', ins: 'INS', evidence: 'justificatifs', collectionChannel: 'mode de recueil' };
  const show = (v) => (v === null || v === undefined || v === '' ? '∅' : Array.isArray(v) ? (v.join(', ') || '∅') : String(v));
  return Object.keys(after)
    .filter((k) => k !== 'version' && k !== 'insOid' && JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${names[k] ?? k} : ${show(before[k])} → ${show(after[k])}`)
    .join(' ; ');
}
