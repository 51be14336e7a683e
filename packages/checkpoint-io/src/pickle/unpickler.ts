import { PickleError, PickleSecurityError } from '../errors';
import { OP, REFUSED_OPCODE_NAMES } from './opcodes';

/**
 * A global the allowlist resolved. The unpickler never looks anything up by name: it only
 * calls the `call`/`construct` functions the allowlist supplies.
 */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
  /** What `REDUCE` does with this global, if it may be called. */
  call?: (args: readonly unknown[]) => unknown;
  /** What `NEWOBJ` does with this class, if it may be instantiated. */
  construct?: (args: readonly unknown[]) => unknown;
}

/** Hooks that decide what a particular pickle may contain. */
export interface UnpicklePolicy {
  /** Resolves `module.name`, or returns `undefined` to refuse it. */
  resolveGlobal(module: string, name: string): PickleGlobal | undefined;
  /** Resolves a `BINPERSID` id (PyTorch's storage references). Refused when absent. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Whether `BUILD` (setting state) may apply to `target`; the state is then dropped. */
  allowBuild?: (target: unknown) => boolean;
}

/** Result of unpickling one pickle out of a stream. */
export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode; legacy PyTorch files hold several pickles in a row. */
  end: number;
}

/** Python `tuple`s are frozen arrays (so APPEND on one is refused like in Python). */
function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * A restricted unpickler modelled on PyTorch's `weights_only` loader: it interprets only
 * data-building opcodes, resolves globals through `policy` (no name lookup, nothing
 * imported or executed), and refuses everything else with an error naming the global or
 * opcode. Python dicts become `Map`s, tuples frozen arrays, lists arrays, `bytes`
 * `Uint8Array`s and ints beyond 2^53 `bigint`s.
 */
export function unpickle(
  bytes: Uint8Array,
  start: number,
  policy: UnpicklePolicy,
  file: string,
): UnpickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;

  const malformed = (why: string): PickleError =>
    new PickleError(file, 'malformed-pickle', `malformed pickle at byte ${pos}: ${why}`);
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw malformed('truncated');
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw malformed('stack underflow');
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw malformed('stack underflow');
    }
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw malformed('missing MARK');
    return stack.splice(m);
  };
  const readLine = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw malformed('unterminated line');
    const text = utf8Decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return text;
  };
  const utf8Decode = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw malformed('invalid UTF-8 string');
    }
  };
  const pushGlobal = (module: string, name: string): void => {
    const resolved = policy.resolveGlobal(module, name);
    if (!resolved) {
      throw new PickleSecurityError(
        file,
        'forbidden-global',
        `refusing to load: the pickle references the global ${module}.${name}, which is not an allowed tensor or container type (nothing was executed)`,
      );
    }
    stack.push(resolved);
  };
  const asList = (target: unknown): unknown[] => {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw malformed('APPEND to a non-list');
    return target;
  };
  const asDict = (target: unknown): Map<unknown, unknown> => {
    if (!(target instanceof Map)) throw malformed('SETITEM on a non-dict');
    return target;
  };
  const put = (index: number): void => {
    memo.set(index, top());
  };
  const get = (index: number): void => {
    if (!memo.has(index)) throw malformed(`memo key ${index} is undefined`);
    stack.push(memo.get(index));
  };
  const small = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

  for (;;) {
    need(1);
    const op = bytes[pos++]!;
    switch (op) {
      case OP.PROTO:
        need(1);
        if (bytes[pos]! > 5) throw malformed(`unsupported pickle protocol ${bytes[pos]}`);
        pos += 1;
        break;
      case OP.FRAME:
        need(8);
        pos += 8;
        break;
      case OP.STOP:
        if (stack.length !== 1 || marks.length !== 0)
          throw malformed('STOP with an unbalanced stack');
        return { value: stack[0], end: pos };
      case OP.MARK:
        marks.push(stack.length);
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case OP.BININT1:
        need(1);
        stack.push(bytes[pos]!);
        pos += 1;
        break;
      case OP.BININT2:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      case OP.LONG1: {
        need(1);
        const n = bytes[pos]!;
        pos += 1;
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]!);
        if (n > 0 && bytes[pos + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(small(v));
        break;
      }
      case OP.BINFLOAT:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case OP.BINUNICODE:
      case OP.SHORT_BINUNICODE: {
        const wide = op === OP.BINUNICODE;
        need(wide ? 4 : 1);
        const n = wide ? view.getUint32(pos, true) : bytes[pos]!;
        pos += wide ? 4 : 1;
        need(n);
        stack.push(utf8Decode(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case OP.SHORT_BINSTRING: {
        need(1);
        const n = bytes[pos]!;
        pos += 1;
        need(n);
        stack.push(latin1.decode(bytes.subarray(pos, pos + n)));
        pos += n;
        break;
      }
      case OP.BINBYTES:
      case OP.SHORT_BINBYTES: {
        const wide = op === OP.BINBYTES;
        need(wide ? 4 : 1);
        const n = wide ? view.getUint32(pos, true) : bytes[pos]!;
        pos += wide ? 4 : 1;
        need(n);
        stack.push(bytes.slice(pos, pos + n));
        pos += n;
        break;
      }
      case OP.EMPTY_TUPLE:
        stack.push(tuple([]));
        break;
      case OP.TUPLE:
        stack.push(tuple(popMark()));
        break;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push(tuple(items));
        break;
      }
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.APPEND: {
        const item = pop();
        asList(top()).push(item);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        asDict(top()).set(key, value);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        if (items.length % 2 !== 0) throw malformed('SETITEMS with an odd number of items');
        const dict = asDict(top());
        for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case OP.BINPUT:
        need(1);
        put(bytes[pos]!);
        pos += 1;
        break;
      case OP.LONG_BINPUT:
        need(4);
        put(view.getUint32(pos, true));
        pos += 4;
        break;
      case OP.MEMOIZE:
        put(memo.size);
        break;
      case OP.BINGET:
        need(1);
        get(bytes[pos]!);
        pos += 1;
        break;
      case OP.LONG_BINGET:
        need(4);
        get(view.getUint32(pos, true));
        pos += 4;
        break;
      case OP.GLOBAL: {
        const module = readLine();
        const name = readLine();
        pushGlobal(module, name);
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw malformed('STACK_GLOBAL needs two strings');
        }
        pushGlobal(module, name);
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) throw malformed('REDUCE arguments are not a tuple');
        const g = fn as PickleGlobal | undefined;
        if (g?.kind !== 'global' || !g.call) {
          throw new PickleSecurityError(
            file,
            'forbidden-call',
            `refusing to load: the pickle calls ${describe(fn)}, which may not be called`,
          );
        }
        stack.push(g.call(args));
        break;
      }
      case OP.NEWOBJ: {
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) throw malformed('NEWOBJ arguments are not a tuple');
        const g = cls as PickleGlobal | undefined;
        if (g?.kind !== 'global' || !g.construct) {
          throw new PickleSecurityError(
            file,
            'forbidden-call',
            `refusing to load: the pickle instantiates ${describe(cls)}, which may not be instantiated`,
          );
        }
        stack.push(g.construct(args));
        break;
      }
      case OP.BUILD: {
        pop(); // the state: attributes such as a state_dict's `_metadata`, not needed
        const target = top();
        if (!(target instanceof Map) && !policy.allowBuild?.(target)) {
          throw new PickleSecurityError(
            file,
            'forbidden-call',
            `refusing to load: the pickle sets the state of ${describe(target)}`,
          );
        }
        break;
      }
      case OP.BINPERSID: {
        const pid = pop();
        if (!policy.persistentLoad) {
          throw new PickleSecurityError(
            file,
            'forbidden-opcode',
            'refusing to load: unexpected persistent id',
          );
        }
        stack.push(policy.persistentLoad(pid));
        break;
      }
      default: {
        const name = REFUSED_OPCODE_NAMES[op];
        throw new PickleSecurityError(
          file,
          'forbidden-opcode',
          `refusing to load: pickle opcode ${name ?? 'unknown'} (0x${op.toString(16).padStart(2, '0')}) at byte ${pos - 1} is not allowed in a weights file`,
        );
      }
    }
  }
}

function describe(value: unknown): string {
  const g = value as PickleGlobal | null | undefined;
  if (g && typeof g === 'object' && g.kind === 'global') return `${g.module}.${g.name}`;
  if (value instanceof Map) return 'a dict';
  if (Array.isArray(value)) return 'a sequence';
  return `a ${typeof value}`;
}
