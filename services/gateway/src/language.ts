import { type Language, pickLanguage } from '@tongban/i18n';
import type { FastifyRequest } from 'fastify';

/**
 * The catalogue language of a request: the first language of its Accept-Language (@fastify/accepts,
 * q-values honoured) that has a catalogue (zh → zh-Hans, en, ii; never yi); zh-Hans without one.
 */
export function requestLanguage(request: FastifyRequest): Language {
  const languages = typeof request.languages === 'function' ? request.languages() : [];
  return pickLanguage(languages);
}
