import type { StateDict } from '@pgen/checkpoint-io';
import { dispose, type Tensor, type Variable, variable } from '@tensorflow/tfjs-core';
import { StateDictMismatchError } from './errors';
import { type ExportDType, tensorDataToTensor, tensorToTensorData } from './tensor-data';

interface Entry {
  kind: 'parameter' | 'buffer';
  value: Variable;
  exportAs: ExportDType;
  /** Non-persistent buffers stay out of state dicts, as in PyTorch. */
  persistent: boolean;
}

export interface LoadStateDictOptions {
  /** Refuse missing and unexpected names (default true). Shape mismatches are always refused. */
  strict?: boolean;
  /** Named in error messages, e.g. the file the state dict came from. */
  source?: string;
}

/**
 * The base of every pgen module: named parameters, buffers and children, so that
 * `stateDict()` has the names and layouts PyTorch gives the same model (`layer1.0.conv1.weight`,
 * `bn1.running_var`), and weights move between pgen and PyTorch unchanged.
 *
 * Parameters are stored in PyTorch's layout (Linear [out, in], Conv2d [out, in, kh, kw]);
 * activations are channels-last (NHWC for images, NWC for sequences), tfjs's native layout.
 */
export abstract class Module {
  /** Training mode: dropout active, batch norm uses and updates batch statistics. */
  training = true;
  private readonly entries = new Map<string, Entry>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter; takes ownership of `initial`. */
  protected addParameter(name: string, initial: Tensor): Variable {
    return this.addEntry(name, initial, 'parameter', 'F32', true);
  }

  /** Registers state that is saved but not trained (running statistics, counters). */
  protected addBuffer(
    name: string,
    initial: Tensor,
    options: { exportAs?: ExportDType; persistent?: boolean } = {},
  ): Variable {
    return this.addEntry(
      name,
      initial,
      'buffer',
      options.exportAs ?? 'F32',
      options.persistent ?? true,
    );
  }

  /** Registers a child module under `name` (its entries become `name.<entry>`). */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private addEntry(
    name: string,
    initial: Tensor,
    kind: Entry['kind'],
    exportAs: ExportDType,
    persistent: boolean,
  ): Variable {
    this.assertFreeName(name);
    const value = variable(initial, kind === 'parameter');
    initial.dispose();
    this.entries.set(name, { kind, value, exportAs, persistent });
    return value;
  }

  private assertFreeName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`invalid module entry name "${name}"`);
    if (this.entries.has(name) || this.children.has(name)) {
      throw new Error(`module already has an entry named "${name}"`);
    }
  }

  /** Children in registration order, with their names. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  private namedEntries(prefix = ''): [string, Entry][] {
    const out: [string, Entry][] = [];
    for (const [name, entry] of this.entries) out.push([prefix + name, entry]);
    for (const [name, child] of this.children) out.push(...child.namedEntries(`${prefix}${name}.`));
    return out;
  }

  /** Trainable parameters with their PyTorch names, in PyTorch's order. */
  namedParameters(): [string, Variable][] {
    return this.namedEntries()
      .filter(([, e]) => e.kind === 'parameter')
      .map(([n, e]) => [n, e.value]);
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  namedBuffers(): [string, Variable][] {
    return this.namedEntries()
      .filter(([, e]) => e.kind === 'buffer')
      .map(([n, e]) => [n, e.value]);
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and persistent buffers as a PyTorch-named state dict (F32; counters I64). */
  async stateDict(): Promise<StateDict> {
    const out: StateDict = new Map();
    for (const [name, entry] of this.namedEntries()) {
      if (!entry.persistent) continue;
      out.set(name, await tensorToTensorData(entry.value, entry.exportAs));
    }
    return out;
  }

  /**
   * Copies a state dict into this module. Every problem (missing, unexpected, wrong shape, wrong
   * dtype, non-finite value) is collected and reported in one `StateDictMismatchError`; nothing
   * is assigned unless everything fits.
   */
  loadStateDict(stateDict: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const expected = this.namedEntries().filter(([, e]) => e.persistent);
    const expectedNames = new Set(expected.map(([n]) => n));
    const missing: string[] = [];
    const mismatched: { name: string; expected: number[]; got: number[] }[] = [];
    const invalid: { name: string; reason: string }[] = [];
    const staged: [Variable, Tensor][] = [];
    for (const [name, entry] of expected) {
      const data = stateDict.get(name);
      if (!data) {
        missing.push(name);
        continue;
      }
      const want = entry.value.shape;
      if (data.shape.length !== want.length || data.shape.some((d, i) => d !== want[i])) {
        mismatched.push({ name, expected: [...want], got: [...data.shape] });
        continue;
      }
      const converted = tensorDataToTensor(data, entry.exportAs);
      if (typeof converted === 'string') invalid.push({ name, reason: converted });
      else staged.push([entry.value, converted]);
    }
    const unexpected = [...stateDict.keys()].filter((n) => !expectedNames.has(n));
    const fatal =
      mismatched.length > 0 ||
      invalid.length > 0 ||
      (strict && (missing.length > 0 || unexpected.length > 0));
    if (fatal) {
      dispose(staged.map(([, t]) => t));
      throw new StateDictMismatchError(
        strict ? missing : [],
        strict ? unexpected : [],
        mismatched,
        invalid,
        options.source,
      );
    }
    for (const [target, value] of staged) {
      target.assign(value);
      value.dispose();
    }
  }

  /**
   * Frees every parameter and buffer of this module and its descendants. Children are disposed
   * through their own `dispose`, so what a subclass frees beyond its entries (Linear's cached
   * Wᵀ) is freed when it sits inside a container too.
   */
  dispose(): void {
    for (const entry of this.entries.values()) entry.value.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}
