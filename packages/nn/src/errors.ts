/** A state dict that does not fit a module: names missing, unexpected, or of the wrong shape. */
export class StateDictMismatchError extends Error {
  override name = 'StateDictMismatchError';
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
  constructor(
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: { name: string; expected: number[]; got: number[] }[],
    readonly invalid: { name: string; reason: string }[] = [],
    source?: string,
  ) {
    const parts: string[] = [];
    const list = (names: string[]) =>
      names.slice(0, 8).join(', ') + (names.length > 8 ? `, … (${names.length} in all)` : '');
    if (missing.length) parts.push(`missing ${list(missing)}`);
    if (unexpected.length) parts.push(`unexpected ${list(unexpected)}`);
    if (mismatched.length) {
      parts.push(
        `wrong shape: ${mismatched
          .slice(0, 8)
          .map(
            (m) => `${m.name} is [${m.got.join(', ')}], module expects [${m.expected.join(', ')}]`,
          )
          .join('; ')}`,
      );
    }
    if (invalid.length) parts.push(invalid.map((i) => `${i.name}: ${i.reason}`).join('; '));
    super(`${source ? `${source}: ` : ''}state dict does not fit the module: ${parts.join('; ')}`);
  }
}
