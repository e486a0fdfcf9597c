// French wording of the UI: statuses, attributes, document types, field names and API error rules.

export const STATUS = {
  PROV: { short: 'PROV', label: 'Provisoire', help: 'Identité provisoire : ni INS récupéré, ni pièce à haut niveau de confiance contrôlée.' },
  RECUP: { short: 'RECUP', label: 'Récupérée', help: 'Identité récupérée : INS obtenu par le téléservice INSi, sans pièce à haut niveau de confiance contrôlée.' },
  VALI: { short: 'VALI', label: 'Validée', help: 'Identité validée : pièce à haut niveau de confiance contrôlée, sans INS récupéré.' },
  QUAL: { short: 'QUAL', label: 'Qualifiée', help: 'Identité qualifiée : INS récupéré et pièce à haut niveau de confiance contrôlée. L\'INS peut être transmis.' },
};

export const ATTRIBUTES = {
  HOMA: 'Homonyme',
  DOUT: 'Douteuse',
  FICT: 'Fictive',
};

export const SEX = { F: 'Féminin', M: 'Masculin', U: 'Indéterminé' };

export const SEX_OPTIONS = [['', '— Choisir —'], ['F', SEX.F], ['M', SEX.M], ['U', SEX.U]];

export const CHANNELS = {
  SM: 'Saisie manuelle',
  CV: 'Carte Vitale',
  CB: 'Code-barres (DataMatrix INS)',
  RFID: 'Puce sans contact',
  AV: 'Application carte Vitale',
  INSI: 'Téléservice INSi',
};

/** Document codes (PAM ZFD-7 / FR Core); unknown codes are shown as such. */
export const DOCUMENTS = {
  CN: 'Carte nationale d\'identité',
  PA: 'Passeport',
  CS: 'Titre de séjour',
  ECN: 'Carte nationale d\'identité électronique',
  IN: 'Identité numérique La Poste',
  AV: 'Application carte Vitale',
  LECV: 'Livret de famille + carte Vitale avec photo',
  ANCV: 'Acte de naissance + carte Vitale avec photo',
  IE: 'Moyen d\'identification électronique (eIDAS)',
  AN: 'Acte de naissance',
  LE: 'Livret de famille',
  CC: 'Carte consulaire',
  CE: 'Carte d\'étudiant',
  CM: 'Carte militaire',
  PC: 'Permis de conduire',
  TC: 'Titre de circulation',
  DC: 'Document de circulation pour étranger mineur',
  AC: 'Autre document',
  LEP: 'Livret de famille + pièce',
  CIMS: 'Carte d\'identité militaire',
};

export const documentLabel = (code) => (DOCUMENTS[code] ? `${DOCUMENTS[code]} (${code})` : code);

export const FIELDS = {
  birthName: 'Nom de naissance',
  birthFirstNames: 'Prénom(s) de naissance',
  firstFirstName: 'Premier prénom de naissance',
  sex: 'Sexe',
  birthDate: 'Date de naissance',
  birthPlaceCog: 'Lieu de naissance (code COG)',
  usedName: 'Nom utilisé',
  usedFirstName: 'Prénom utilisé',
  collectionChannel: 'Mode de recueil',
  documentType: 'Type de pièce',
  checkedOn: 'Date du contrôle',
  expiresOn: 'Date d\'expiration',
  attributes: 'Attributs',
  version: 'Version',
  traits: 'Traits',
  ins: 'INS',
  status: 'Statut',
  userName: 'Identifiant',
  password: 'Mot de passe',
};

export const ROLES = {
  'front-desk': 'Accueil',
  'identity-vigilance': 'Identitovigilance',
  admin: 'Administration',
};

export const AUDIT_ACTIONS = {
  'identity.created': 'Création de l\'identité',
  'identity.traits-changed': 'Modification des traits',
  'identity.evidence-added': 'Ajout d\'un justificatif',
  'identity.attributes-changed': 'Modification des attributs',
  'identity.qualification-reverted': 'Retrait de la qualification',
  'identity.ins-obtained': 'INS récupéré (INSi)',
  'identity.ins-verified': 'INS vérifié (INSi)',
  'insi.search': 'Appel INSi : recherche',
  'insi.verify': 'Appel INSi : vérification',
};

export const INSI_OUTCOMES = {
  found: 'Identité trouvée',
  'not-found': 'Aucune identité trouvée',
  multiple: 'Plusieurs identités trouvées',
  error: 'Erreur',
};

/**
 * One API error message ("rule: message") in French when the rule is known; the gateway's own message otherwise
 * (it is precise and names the rule, so it is better than a vague translation).
 */
export function translateFieldError(raw) {
  const sep = raw.indexOf(': ');
  const rule = sep > 0 ? raw.slice(0, sep) : '';
  const message = sep > 0 ? raw.slice(sep + 2) : raw;
  const character = /Character '(.+)' at position (\d+)/.exec(message);
  switch (rule) {
    case 'required': return 'Ce champ est obligatoire.';
    case 'future': return 'La date est dans le futur.';
    case 'range':
      return /1850/.test(message) ? 'La date de naissance est antérieure à 1850.' : message;
    case 'format': return /YYYY-MM-DD/.test(message) ? 'Date attendue au format JJ/MM/AAAA.' : message;
    case 'length':
    case 'max-length': return `Trop long : ${message}`;
    case 'character':
      return character
        ? `Caractère « ${character[1]} » non autorisé en position ${character[2]} (lettres, espace, tiret, apostrophe uniquement).`
        : 'Au moins une lettre est nécessaire.';
    case 'code':
      if (/F, M or U/.test(message)) return 'Sexe attendu : féminin, masculin ou indéterminé.';
      if (/document type/i.test(message)) return 'Type de pièce inconnu.';
      return message;
    case 'rniv.expired-document': return 'La pièce était expirée à la date du contrôle.';
    case 'concurrency.stale': return STALE_MESSAGE;
    default: return message || raw;
  }
}

export const STALE_MESSAGE = 'Cette identité a été modifiée par quelqu\'un d\'autre entre-temps. Rechargez la page pour voir la version actuelle, puis recommencez.';

/** A French sentence for a whole-request failure (status and problem rule). */
export function describeProblem(error) {
  switch (error.status) {
    case 0: return 'Le serveur est injoignable. Vérifiez la connexion et réessayez.';
    case 403:
      if (error.rule === 'rniv.strict-traits-locked') {
        return 'Les traits stricts d\'une identité RECUP, VALI ou QUAL sont verrouillés : seule la cellule d\'identitovigilance peut les modifier.';
      }
      return 'Action refusée : votre profil n\'a pas les droits nécessaires (réservé à la cellule d\'identitovigilance).';
    case 404: return 'Identité introuvable.';
    case 409:
      if (error.rule === 'concurrency.stale') return STALE_MESSAGE;
      if (error.rule === 'rniv.insi-blocked') return 'INSi ne peut pas être interrogé pour une identité douteuse ou fictive.';
      if (error.rule === 'rniv.no-ins') return 'Cette identité ne porte pas d\'INS à vérifier : interrogez d\'abord INSi.';
      return `Action refusée par les règles d'identitovigilance : ${firstMessage(error) ?? error.message}`;
    case 422: return firstMessage(error) ?? error.message;
    case 428: return 'Version de l\'identité manquante : rechargez la page.';
    case 429: return 'Trop de tentatives. Patientez une minute avant de réessayer.';
    case 502: return `Le téléservice INSi n'a pas pu être interrogé : ${error.message}`;
    default:
      if (error.status >= 500) return 'Erreur interne du serveur. L\'incident a été enregistré ; réessayez plus tard.';
      return firstMessage(error) ?? error.message;
  }
}

function firstMessage(error) {
  for (const messages of Object.values(error.fields ?? {})) {
    if (messages.length > 0) return translateFieldError(messages[0]);
  }
  return null;
}
