/** Jest global teardown: stops the containers global-setup started (none when servers were given). */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __TONGBAN_CONTAINERS__?: { stop(): Promise<unknown> }[] }).__TONGBAN_CONTAINERS__ ?? [];
  await Promise.all(started.map((c) => c.stop()));
}
