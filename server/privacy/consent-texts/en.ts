import type { ConsentTemplate } from './types.js';

export const EN: readonly ConsentTemplate[] = [
  {
    purpose: 'biometric_processing',
    language: 'en',
    version: '2026-12',
    title: 'Biometric processing for identity verification',
    body: [
      'I agree that this kiosk takes a photo of my face, reads my identity document and records my signature on the pad, and compares them to check that I am the holder of the document.',
      'From these captures the kiosk computes biometric templates (numbers describing my face and my signature). They are encrypted and never leave this appliance.',
      'Biometric templates and samples from a one-off verification are destroyed {{one_off}} after the final decision, and in any case {{inactivity}} after my last visit. Images of my document are destroyed {{document_images}} after the decision.',
      'I may withdraw this consent at any time at the kiosk, at the desk or through the branch; my biometric data is then destroyed at once.',
      'Retention schedule: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'authentication',
    language: 'en',
    version: '2026-12',
    title: 'Biometric authentication',
    body: [
      'I agree that my face and signature templates are kept so that I can prove who I am with my face or my signature at later visits, and compared with what I present then.',
      'They are kept until {{inactivity}} after my last visit and destroyed at once if I withdraw this consent.',
      'Retention schedule: {{schedule}}',
    ].join('\n\n'),
  },
  {
    purpose: 'data_sharing',
    language: 'en',
    version: '2026-12',
    title: 'Sharing the result with the branch system',
    body: [
      "I agree that the result of my verification (approved, declined or referred to staff, with its reason codes) is shared with the branch's customer system. My images and biometric templates are never shared.",
      'The record of the decision is kept for {{records}} after my last visit.',
      'Retention schedule: {{schedule}}',
    ].join('\n\n'),
  },
];
