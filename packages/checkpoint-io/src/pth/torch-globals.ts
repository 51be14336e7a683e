import type { DType } from '../dtype';
import { PthFormatError } from '../errors';
import type { PickleGlobal, UnpicklePolicy } from '../pickle/unpickler';
import { STORAGE_DTYPES } from './storage';
import { isTensorRecipe, makeTensorRecipe } from './tensor-recipe';

/** A `torch.<Name>Storage` class named inside a persistent id. */
export interface StorageTypeGlobal extends PickleGlobal {
  readonly storageDType: DType;
}

export function isStorageType(value: unknown): value is StorageTypeGlobal {
  return typeof value === 'object' && value !== null && 'storageDType' in value;
}

/**
 * The allowlist, modelled on PyTorch's `weights_only` unpickler: containers, tensor rebuild
 * functions, storage classes and `torch.Size`. Each entry says exactly what calling it does
 * here; nothing is looked up by name, so anything else is refused.
 */
export function torchGlobals(file: string): Map<string, PickleGlobal> {
  const table = new Map<string, PickleGlobal>();
  const add = (
    module: string,
    name: string,
    parts: Partial<PickleGlobal> & Record<string, unknown> = {},
  ) => {
    table.set(`${module}.${name}`, { kind: 'global', module, name, ...parts });
  };
  const recipe = (args: readonly unknown[]) => makeTensorRecipe(args, file);
  const firstTensor = (args: readonly unknown[]) => {
    if (!isTensorRecipe(args[0]))
      throw new PthFormatError(file, 'invalid-tensor', 'parameter does not wrap a tensor');
    return args[0];
  };

  add('collections', 'OrderedDict', {
    call: (args) => {
      const dict = new Map<unknown, unknown>();
      const items = args[0];
      if (Array.isArray(items)) {
        for (const pair of items)
          if (Array.isArray(pair) && pair.length === 2) dict.set(pair[0], pair[1]);
      }
      return dict;
    },
  });
  add('torch._utils', '_rebuild_tensor_v2', { call: recipe });
  add('torch._utils', '_rebuild_tensor', { call: recipe });
  add('torch._utils', '_rebuild_parameter', { call: firstTensor });
  add('torch._utils', '_rebuild_parameter_with_state', { call: firstTensor });
  add('torch.nn.parameter', 'Parameter', { construct: firstTensor, call: firstTensor });
  add('torch', 'Tensor');
  add('torch._tensor', '_rebuild_from_type_v2', {
    // (func, new_type, args, state): only plain tensors and parameters are rebuilt.
    call: (args) => {
      const [fn, type, inner] = args as [
        PickleGlobal | undefined,
        PickleGlobal | undefined,
        unknown,
      ];
      const typeName = type && `${type.module}.${type.name}`;
      if (typeName !== 'torch.Tensor' && typeName !== 'torch.nn.parameter.Parameter') {
        throw new PthFormatError(
          file,
          'unsupported-tensor-type',
          `tensor subclass ${typeName ?? '?'} is not supported`,
        );
      }
      if (!fn?.call || !Array.isArray(inner)) {
        throw new PthFormatError(file, 'invalid-tensor', 'malformed _rebuild_from_type_v2 call');
      }
      return fn.call(inner);
    },
  });
  add('torch', 'Size', { call: (args) => (Array.isArray(args[0]) ? [...args[0]] : []) });
  add('torch', 'device', { call: (args) => String(args[0]) });
  add('_codecs', 'encode', {
    // Protocol-2 pickles spell `bytes` as encode(latin-1 text, 'latin1').
    call: (args) => Uint8Array.from(String(args[0]), (c) => c.charCodeAt(0) & 0xff),
  });
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES))
    add('torch', name, { storageDType: dtype });
  return table;
}

/** An unpickle policy for PyTorch checkpoints with the given persistent-id handler. */
export function torchUnpicklePolicy(
  file: string,
  persistentLoad: (pid: unknown) => unknown,
): UnpicklePolicy {
  const table = torchGlobals(file);
  return {
    resolveGlobal: (module, name) => table.get(`${module}.${name}`),
    persistentLoad,
    allowBuild: (target) => isTensorRecipe(target),
  };
}

/** Validates a storage persistent id's type field and returns its dtype. */
export function storageDTypeOf(type: unknown, file: string): DType {
  if (!isStorageType(type)) {
    const g = type as PickleGlobal | undefined;
    const name = g?.kind === 'global' ? `${g.module}.${g.name}` : String(type);
    throw new PthFormatError(file, 'unsupported-storage', `unsupported storage type ${name}`);
  }
  return type.storageDType;
}
