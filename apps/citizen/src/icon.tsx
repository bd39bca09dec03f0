/** An inline line icon (a path of {@link ICONS}), 1em square, in the text's colour; decorative (aria-hidden). */
export function Icon({ d, class: className = 'icon' }: { d: string; class?: string }) {
  return (
    <svg class={className} viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      <path d={d} />
    </svg>
  );
}
