import type { ConsentTemplate } from './types.js';

export const DE: readonly ConsentTemplate[] = [
  {
    purpose: 'biometric_processing',
    language: 'de',
    version: '2026-12',
    title: 'Biometrische Verarbeitung zur Identitätsprüfung',
    body: [
      'Ich bin einverstanden, dass dieses Terminal ein Foto meines Gesichts aufnimmt, meinen Ausweis liest und meine Unterschrift auf dem Unterschriftenpad erfasst und diese vergleicht, um zu prüfen, dass ich der Inhaber des Ausweises bin.',
      'Aus diesen Aufnahmen berechnet das Terminal biometrische Templates (Zahlen, die mein Gesicht und meine Unterschrift beschreiben). Sie werden verschlüsselt gespeichert und verlassen dieses Gerät nie.',
      'Biometrische Templates und Aufnahmen einer einmaligen Prüfung werden {{one_off}} nach der endgültigen Entscheidung gelöscht, spätestens {{inactivity}} nach meinem letzten Besuch. Bilder meines Ausweises werden {{document_images}} nach der Entscheidung gelöscht.',
      'Ich kann diese Einwilligung jederzeit am Terminal, am Schalter oder über die Filiale widerrufen; meine biometrischen Daten werden dann sofort vernichtet.',
      'Aufbewahrungsfristen: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'authentication',
    language: 'de',
    version: '2026-12',
    title: 'Biometrische Authentifizierung',
    body: [
      'Ich bin einverstanden, dass die Templates meines Gesichts und meiner Unterschrift gespeichert werden, damit ich mich bei späteren Besuchen mit Gesicht oder Unterschrift ausweisen kann, und mit dem verglichen werden, was ich dann vorlege.',
      'Sie werden bis {{inactivity}} nach meinem letzten Besuch aufbewahrt und sofort vernichtet, wenn ich diese Einwilligung widerrufe.',
      'Aufbewahrungsfristen: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'data_sharing',
    language: 'de',
    version: '2026-12',
    title: 'Weitergabe des Ergebnisses an das Filialsystem',
    body: [
      'Ich bin einverstanden, dass das Ergebnis meiner Prüfung (angenommen, abgelehnt oder an einen Mitarbeiter verwiesen, mit den Begründungscodes) an das Kundensystem der Filiale weitergegeben wird. Meine Bilder und biometrischen Templates werden nie weitergegeben.',
      'Der Nachweis der Entscheidung wird {{records}} nach meinem letzten Besuch aufbewahrt.',
      'Aufbewahrungsfristen: {{schedule}}',
    ].join('\n\n'),
  },
];
