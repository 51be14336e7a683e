/**
 * Glob patterns over dotted state-dict names (`layer1.0.conv1.weight`).
 *
 * - `*` matches any run of characters inside one dotted segment (no `.`),
 * - `**` matches any run of characters, dots included,
 * - `?` matches one character other than `.`,
 * - a leading `**.` also matches nothing, so `**.running_var` matches `running_var` too.
 *
 * Everything else matches itself; the whole name must match.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  if (pattern.startsWith('**.')) {
    source += '(?:.*\\.)?';
    i = 3;
  }
  while (i < pattern.length) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i += 2;
    } else if (char === '*') {
      source += '[^.]*';
      i += 1;
    } else if (char === '?') {
      source += '[^.]';
      i += 1;
    } else {
      source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}

/** A predicate that is true when `name` matches any of `patterns`. */
export function compileGlobs(patterns: readonly string[]): (name: string) => boolean {
  const regexps = patterns.map(globToRegExp);
  return (name) => regexps.some((re) => re.test(name));
}
