import { type DType, isFloatingDType, numel, type TensorData } from '@pgen/checkpoint-io';
import { compileGlobs } from './glob';
import { ALWAYS_KEPT_ASIDE } from './options';

/** Which tensors are generated and which are kept aside (copied from a template on decode). */
export interface TensorSelection {
  /** Names of the tensors turned into tokens, in state-dict order. */
  generated: string[];
  /** Names of the tensors copied from the template on decode, in state-dict order. */
  keptAside: string[];
}

export interface SelectionRules {
  include?: readonly string[];
  exclude?: readonly string[];
  includeIntegers?: boolean;
  minElements?: number;
}

function isGeneratableDType(dtype: DType, includeIntegers: boolean): boolean {
  return includeIntegers || isFloatingDType(dtype);
}

/** Splits the tensors of `reference` into generated and kept-aside ones (see `FitOptions`). */
export function selectTensors(
  reference: ReadonlyMap<string, TensorData>,
  rules: SelectionRules = {},
): TensorSelection {
  const included = compileGlobs(rules.include ?? ['**']);
  const excluded = compileGlobs([...(rules.exclude ?? []), ...ALWAYS_KEPT_ASIDE]);
  const includeIntegers = rules.includeIntegers ?? false;
  const minElements = rules.minElements ?? 2;
  const selection: TensorSelection = { generated: [], keptAside: [] };
  for (const [name, tensor] of reference) {
    const generated =
      included(name) &&
      !excluded(name) &&
      isGeneratableDType(tensor.dtype, includeIntegers) &&
      numel(tensor.shape) >= minElements;
    (generated ? selection.generated : selection.keptAside).push(name);
  }
  return selection;
}
