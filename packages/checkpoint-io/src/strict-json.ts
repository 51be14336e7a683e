/**
 * A JSON parser strict enough for untrusted headers: unlike `JSON.parse` it refuses duplicate
 * keys (which `JSON.parse` silently resolves to the last) and keeps numbers as their source
 * text, so integers beyond 2^53 are checked exactly instead of rounded.
 */

/** A JSON number, as written in the source. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

/** A JSON object with its keys in source order. */
export class JsonObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonValue]>) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/** Thrown for any syntax error; `duplicateKey` is set when that is the problem. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly duplicateKey?: string,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Deep nesting is refused rather than risking a stack overflow. */
const MAX_DEPTH = 128;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseStrictJson(text: string): JsonValue {
  let pos = 0;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos);
  };
  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };
  const expectLiteral = (word: string): void => {
    if (text.startsWith(word, pos)) pos += word.length;
    else fail('unexpected token');
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          pos -= 2;
          fail('invalid escape');
      }
      start = pos;
    }
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWhitespace();
    const c = text[pos];
    switch (c) {
      case '{': {
        pos++;
        const entries: [string, JsonValue][] = [];
        const seen = new Set<string>();
        skipWhitespace();
        if (text[pos] === '}') {
          pos++;
          return new JsonObject(entries);
        }
        for (;;) {
          skipWhitespace();
          if (text[pos] !== '"') fail('expected a string key');
          const keyPos = pos;
          const key = parseString();
          if (seen.has(key)) throw new JsonSyntaxError(`duplicate key "${key}"`, keyPos, key);
          seen.add(key);
          skipWhitespace();
          if (text[pos] !== ':') fail('expected ":"');
          pos++;
          entries.push([key, parseValue(depth + 1)]);
          skipWhitespace();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === '}') {
            pos++;
            return new JsonObject(entries);
          }
          fail('expected "," or "}"');
        }
      }
      case '[': {
        pos++;
        const items: JsonValue[] = [];
        skipWhitespace();
        if (text[pos] === ']') {
          pos++;
          return items;
        }
        for (;;) {
          items.push(parseValue(depth + 1));
          skipWhitespace();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === ']') {
            pos++;
            return items;
          }
          fail('expected "," or "]"');
        }
      }
      case '"':
        return parseString();
      case 't':
        expectLiteral('true');
        return true;
      case 'f':
        expectLiteral('false');
        return false;
      case 'n':
        expectLiteral('null');
        return null;
      default: {
        NUMBER.lastIndex = pos;
        const m = NUMBER.exec(text);
        if (!m) return fail(c === undefined ? 'unexpected end of input' : 'unexpected token');
        pos += m[0].length;
        return new JsonNumber(m[0]);
      }
    }
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail('unexpected data after the JSON value');
  return value;
}
