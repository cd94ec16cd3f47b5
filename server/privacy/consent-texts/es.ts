import type { ConsentTemplate } from './types.js';

export const ES: readonly ConsentTemplate[] = [
  {
    purpose: 'biometric_processing',
    language: 'es',
    version: '2026-12',
    title: 'Tratamiento biométrico para verificar la identidad',
    body: [
      'Acepto que este quiosco tome una foto de mi cara, lea mi documento de identidad y registre mi firma en la tableta, y que los compare para comprobar que soy el titular del documento.',
      'A partir de estas capturas el quiosco calcula plantillas biométricas (números que describen mi cara y mi firma). Se guardan cifradas y nunca salen de este equipo.',
      'Las plantillas y muestras biométricas de una verificación puntual se destruyen {{one_off}} después de la decisión final, y en todo caso {{inactivity}} después de mi última visita. Las imágenes de mi documento se destruyen {{document_images}} después de la decisión.',
      'Puedo retirar este consentimiento en cualquier momento en el quiosco, en el mostrador o a través de la sucursal; mis datos biométricos se destruyen entonces de inmediato.',
      'Plazos de conservación: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'authentication',
    language: 'es',
    version: '2026-12',
    title: 'Autenticación biométrica',
    body: [
      'Acepto que se guarden las plantillas de mi cara y de mi firma para poder demostrar quién soy con mi cara o mi firma en visitas posteriores, comparándolas con lo que presente entonces.',
      'Se guardan hasta {{inactivity}} después de mi última visita y se destruyen de inmediato si retiro este consentimiento.',
      'Plazos de conservación: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'data_sharing',
    language: 'es',
    version: '2026-12',
    title: 'Compartir el resultado con el sistema de la sucursal',
    body: [
      'Acepto que el resultado de mi verificación (aprobada, rechazada o remitida al personal, con sus códigos de motivo) se comparta con el sistema de clientes de la sucursal. Mis imágenes y plantillas biométricas nunca se comparten.',
      'El registro de la decisión se conserva {{records}} después de mi última visita.',
      'Plazos de conservación: {{schedule}}',
    ].join('\n\n'),
  },
];
