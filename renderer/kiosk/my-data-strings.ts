/**
 * The words of the kiosk's "My data" screens (PRIV-3 at the kiosk), in the kiosk's three
 * languages. Kept beside the screen rather than in the shared catalogues so the screen is one
 * unit; the type makes every language carry every message.
 */
import type { Language } from '../shared/i18n/index.js';

const en = {
  entry: 'My data: see, copy or delete what we keep about me',
  title: 'Your data',
  chooseTitle: 'What would you like to do?',
  chooseLead: 'Choose one. We check that you are you before we do anything.',
  'type.access': 'Get a copy of my data',
  'type.portability': 'Get my data to take to another company',
  'type.deletion': 'Delete my data',
  'type.restriction': 'Stop using my data for now',
  'type.objection': 'Stop some uses of my data',
  'type.consent_withdrawal': 'Take back my consent',
  'type.correction': 'Correct my data',
  correctionDesk:
    'To correct your data, please see a member of staff and bring your identity document. A person checks the new details with you.',
  back: 'Back',
  continue: 'Continue',
  cancel: 'Cancel',
  finish: 'Finish',
  purposesTitle: 'Which uses?',
  purposesNone: 'Choose at least one.',
  'purpose.data_sharing': 'Sharing my details with the company that asked for the check',
  'purpose.service_improvement': 'Improving this service',
  'purpose.biometric_processing': 'Using my face and signature to check who I am',
  'purpose.authentication': 'Recognising me when I come back',
  referenceTitle: 'Your customer reference',
  referenceLead:
    'It is on the receipt of your identity check and starts with "sub_". Staff can tell you yours.',
  referenceLabel: 'Customer reference',
  referenceInvalid:
    'This is not a customer reference. It starts with "sub_" and has 30 characters.',
  consentTitle: 'Before we check your signature',
  signTitle: 'Sign to show it is you',
  signLead: 'Sign as you usually do. We compare it with the signature we have on file.',
  signDone: 'Done',
  checking: 'Checking that it is you…',
  waitingStaff:
    'A member of staff is checking your signature. Please wait here; this screen changes when they are done.',
  filing: 'Sending your request…',
  refusedTitle: 'We could not confirm it is you',
  refusedBody:
    'Nothing was sent and nothing was changed. Please see a member of staff: they can help you with your request.',
  errorTitle: 'Something went wrong',
  errorBody: 'Your request was not sent. Please see a member of staff.',
  limitBody:
    'You have already asked for a copy twice in the last twelve months. Please see a member of staff.',
  filedTitle: 'Your request is received',
  referenceNumber: 'Your request number',
  receivedOn: 'Received',
  dueBy: 'We answer by',
  status: 'Status',
  'status.received': 'Received',
  'status.verifying': 'Checking',
  'status.in_progress': 'Being prepared',
  'status.extended': 'Extended',
  'status.completed': 'Done',
  'status.rejected': 'Refused',
  'next.access':
    'Your copy is being prepared. Collect it at the branch desk with your request number and your identity document.',
  'next.portability':
    'Your data is being prepared in a file you can take to another company. Collect it at the branch desk with your request number and your identity document.',
  'next.deletion': 'Your data has been deleted.',
  'next.deletionRetained':
    'Your data has been deleted, except what the law requires us to keep. Staff at the branch desk can tell you what was kept and why.',
  'next.restriction': 'We no longer use your data until you ask us to, or the law requires it.',
  'next.objection': 'We no longer use your data for the uses you chose.',
  'next.consent_withdrawal': 'Your consent is withdrawn and what depended on it is destroyed.',
  'next.open': 'Ask at the branch desk with your request number if you have a question.',
  writeDown: 'Please note your request number. This screen clears itself soon.',
} as const;

export type MyDataKey = keyof typeof en;
type Catalogue = Readonly<Record<MyDataKey, string>>;

const es: Catalogue = {
  entry: 'Mis datos: ver, copiar o borrar lo que guardamos sobre mí',
  title: 'Sus datos',
  chooseTitle: '¿Qué desea hacer?',
  chooseLead: 'Elija una opción. Antes de hacer nada comprobamos que es usted.',
  'type.access': 'Obtener una copia de mis datos',
  'type.portability': 'Obtener mis datos para llevarlos a otra empresa',
  'type.deletion': 'Borrar mis datos',
  'type.restriction': 'Dejar de usar mis datos por ahora',
  'type.objection': 'Dejar de usar mis datos para algunos fines',
  'type.consent_withdrawal': 'Retirar mi consentimiento',
  'type.correction': 'Corregir mis datos',
  correctionDesk:
    'Para corregir sus datos, diríjase a un miembro del personal con su documento de identidad. Una persona comprueba los nuevos datos con usted.',
  back: 'Atrás',
  continue: 'Continuar',
  cancel: 'Cancelar',
  finish: 'Terminar',
  purposesTitle: '¿Qué usos?',
  purposesNone: 'Elija al menos uno.',
  'purpose.data_sharing': 'Compartir mis datos con la empresa que pidió la comprobación',
  'purpose.service_improvement': 'Mejorar este servicio',
  'purpose.biometric_processing': 'Usar mi cara y mi firma para comprobar quién soy',
  'purpose.authentication': 'Reconocerme cuando vuelva',
  referenceTitle: 'Su referencia de cliente',
  referenceLead:
    'Figura en el justificante de su comprobación de identidad y empieza por «sub_». El personal puede decirle la suya.',
  referenceLabel: 'Referencia de cliente',
  referenceInvalid:
    'Esto no es una referencia de cliente. Empieza por «sub_» y tiene 30 caracteres.',
  consentTitle: 'Antes de comprobar su firma',
  signTitle: 'Firme para demostrar que es usted',
  signLead: 'Firme como siempre. La comparamos con la firma que tenemos registrada.',
  signDone: 'Hecho',
  checking: 'Comprobando que es usted…',
  waitingStaff:
    'Un miembro del personal está revisando su firma. Espere aquí, por favor; esta pantalla cambiará cuando termine.',
  filing: 'Enviando su solicitud…',
  refusedTitle: 'No hemos podido confirmar que es usted',
  refusedBody:
    'No se ha enviado ni cambiado nada. Diríjase a un miembro del personal: le ayudará con su solicitud.',
  errorTitle: 'Algo ha fallado',
  errorBody: 'Su solicitud no se ha enviado. Diríjase a un miembro del personal.',
  limitBody:
    'Ya ha pedido una copia dos veces en los últimos doce meses. Diríjase a un miembro del personal.',
  filedTitle: 'Hemos recibido su solicitud',
  referenceNumber: 'Su número de solicitud',
  receivedOn: 'Recibida',
  dueBy: 'Respondemos antes del',
  status: 'Estado',
  'status.received': 'Recibida',
  'status.verifying': 'En comprobación',
  'status.in_progress': 'En preparación',
  'status.extended': 'Prorrogada',
  'status.completed': 'Hecha',
  'status.rejected': 'Rechazada',
  'next.access':
    'Estamos preparando su copia. Recójala en el mostrador de la sucursal con su número de solicitud y su documento de identidad.',
  'next.portability':
    'Estamos preparando sus datos en un archivo que puede llevar a otra empresa. Recójalo en el mostrador de la sucursal con su número de solicitud y su documento de identidad.',
  'next.deletion': 'Sus datos se han borrado.',
  'next.deletionRetained':
    'Sus datos se han borrado, salvo lo que la ley nos obliga a conservar. El personal del mostrador puede decirle qué se ha conservado y por qué.',
  'next.restriction': 'Ya no usamos sus datos hasta que usted lo pida o la ley lo exija.',
  'next.objection': 'Ya no usamos sus datos para los usos que ha elegido.',
  'next.consent_withdrawal':
    'Su consentimiento se ha retirado y lo que dependía de él se ha destruido.',
  'next.open': 'Si tiene alguna pregunta, consulte en el mostrador con su número de solicitud.',
  writeDown: 'Anote su número de solicitud. Esta pantalla se borrará pronto.',
};

const de: Catalogue = {
  entry: 'Meine Daten: ansehen, kopieren oder löschen, was über mich gespeichert ist',
  title: 'Ihre Daten',
  chooseTitle: 'Was möchten Sie tun?',
  chooseLead: 'Wählen Sie eine Möglichkeit. Bevor wir etwas tun, prüfen wir, dass Sie es sind.',
  'type.access': 'Eine Kopie meiner Daten erhalten',
  'type.portability': 'Meine Daten für ein anderes Unternehmen erhalten',
  'type.deletion': 'Meine Daten löschen',
  'type.restriction': 'Meine Daten vorerst nicht mehr verwenden',
  'type.objection': 'Meine Daten für manche Zwecke nicht mehr verwenden',
  'type.consent_withdrawal': 'Meine Einwilligung widerrufen',
  'type.correction': 'Meine Daten berichtigen',
  correctionDesk:
    'Um Ihre Daten zu berichtigen, wenden Sie sich bitte mit Ihrem Ausweisdokument an eine Mitarbeiterin oder einen Mitarbeiter. Eine Person prüft die neuen Angaben mit Ihnen.',
  back: 'Zurück',
  continue: 'Weiter',
  cancel: 'Abbrechen',
  finish: 'Fertig',
  purposesTitle: 'Welche Verwendungen?',
  purposesNone: 'Wählen Sie mindestens eine.',
  'purpose.data_sharing': 'Meine Angaben an das Unternehmen weitergeben, das die Prüfung wollte',
  'purpose.service_improvement': 'Diesen Dienst verbessern',
  'purpose.biometric_processing': 'Mein Gesicht und meine Unterschrift zur Prüfung verwenden',
  'purpose.authentication': 'Mich wiedererkennen, wenn ich wiederkomme',
  referenceTitle: 'Ihre Kundenreferenz',
  referenceLead:
    'Sie steht auf dem Beleg Ihrer Identitätsprüfung und beginnt mit „sub_“. Das Personal kann sie Ihnen nennen.',
  referenceLabel: 'Kundenreferenz',
  referenceInvalid: 'Das ist keine Kundenreferenz. Sie beginnt mit „sub_“ und hat 30 Zeichen.',
  consentTitle: 'Bevor wir Ihre Unterschrift prüfen',
  signTitle: 'Unterschreiben Sie, um zu zeigen, dass Sie es sind',
  signLead: 'Unterschreiben Sie wie gewohnt. Wir vergleichen mit der hinterlegten Unterschrift.',
  signDone: 'Fertig',
  checking: 'Wir prüfen, dass Sie es sind…',
  waitingStaff:
    'Eine Mitarbeiterin oder ein Mitarbeiter prüft Ihre Unterschrift. Bitte warten Sie hier; der Bildschirm ändert sich, sobald die Prüfung fertig ist.',
  filing: 'Ihre Anfrage wird gesendet…',
  refusedTitle: 'Wir konnten nicht bestätigen, dass Sie es sind',
  refusedBody:
    'Es wurde nichts gesendet und nichts geändert. Bitte wenden Sie sich an das Personal: Es hilft Ihnen mit Ihrer Anfrage.',
  errorTitle: 'Etwas ist schiefgegangen',
  errorBody: 'Ihre Anfrage wurde nicht gesendet. Bitte wenden Sie sich an das Personal.',
  limitBody:
    'Sie haben in den letzten zwölf Monaten schon zweimal eine Kopie verlangt. Bitte wenden Sie sich an das Personal.',
  filedTitle: 'Ihre Anfrage ist eingegangen',
  referenceNumber: 'Ihre Anfragenummer',
  receivedOn: 'Eingegangen',
  dueBy: 'Wir antworten bis',
  status: 'Stand',
  'status.received': 'Eingegangen',
  'status.verifying': 'In Prüfung',
  'status.in_progress': 'In Bearbeitung',
  'status.extended': 'Verlängert',
  'status.completed': 'Erledigt',
  'status.rejected': 'Abgelehnt',
  'next.access':
    'Ihre Kopie wird vorbereitet. Holen Sie sie mit Ihrer Anfragenummer und Ihrem Ausweisdokument am Schalter der Filiale ab.',
  'next.portability':
    'Ihre Daten werden in einer Datei vorbereitet, die Sie zu einem anderen Unternehmen mitnehmen können. Holen Sie sie mit Ihrer Anfragenummer und Ihrem Ausweisdokument am Schalter der Filiale ab.',
  'next.deletion': 'Ihre Daten wurden gelöscht.',
  'next.deletionRetained':
    'Ihre Daten wurden gelöscht, außer dem, was wir gesetzlich aufbewahren müssen. Das Personal am Schalter sagt Ihnen, was aufbewahrt wurde und warum.',
  'next.restriction':
    'Wir verwenden Ihre Daten nicht mehr, bis Sie es wünschen oder das Gesetz es verlangt.',
  'next.objection': 'Wir verwenden Ihre Daten nicht mehr für die gewählten Zwecke.',
  'next.consent_withdrawal':
    'Ihre Einwilligung ist widerrufen, und was davon abhing, ist vernichtet.',
  'next.open': 'Bei Fragen wenden Sie sich mit Ihrer Anfragenummer an den Schalter der Filiale.',
  writeDown: 'Bitte notieren Sie Ihre Anfragenummer. Dieser Bildschirm leert sich bald.',
};

const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, es, de };

/** A message of the My data screens in `language`. */
export function myDataText(language: Language, key: MyDataKey): string {
  return CATALOGUES[language][key];
}

export const MY_DATA_CATALOGUES = CATALOGUES;
