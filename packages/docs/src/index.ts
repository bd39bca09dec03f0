/** @tongban/docs: the documents derived from code (scripts/gen-transitions.ts writes them). */
export { renderLifecycleMarkdown } from './lifecycle';
