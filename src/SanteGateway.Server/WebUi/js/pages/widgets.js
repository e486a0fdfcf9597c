// Badges and small reusable pieces.
import { h } from '../dom.js';
import { ATTRIBUTES, STATUS } from '../labels.js';

/** The RNIV status as a coloured badge (text, not colour alone, carries the meaning). */
export function statusBadge(status) {
  const s = STATUS[status];
  return h('span', { class: `badge badge-${String(status).toLowerCase()}`, title: s?.help ?? status, 'data-status': status },
    s ? `${s.short} · ${s.label}` : status);
}

/** The identity attributes (homonym, doubtful, fictitious) as badges. */
export function attributeBadges(codes) {
  return (codes ?? []).map((code) => h('span', { class: `badge badge-attr badge-${code.toLowerCase()}`, text: ATTRIBUTES[code] ?? code }));
}

/** Formats a 15-character INS matricule in its printed groups (1 23 45 67 890 123 45). */
export function formatMatricule(m) {
  if (!m || m.length !== 15) return m ?? '';
  return [m.slice(0, 1), m.slice(1, 3), m.slice(3, 5), m.slice(5, 7), m.slice(7, 10), m.slice(10, 13), m.slice(13)].join(' ');
}
