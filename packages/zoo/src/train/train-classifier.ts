import type { StateDict } from '@pgen/checkpoint-io';
import { cosineWithWarmup } from '@pgen/nn';
import type { MnistData } from '../mnist/mnist-data';
import type { ClassifierModel } from '../models/classifier-model';
import { ClassifierTrainer } from './classifier-trainer';
import { evaluateAccuracy } from './evaluate';

/** Where training is, reported after every step. */
export interface TrainProgress {
  /** 0-based epoch of the step just taken. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch (1-based). */
  step: number;
  stepsPerEpoch: number;
  /** Steps done overall, and of how many. */
  globalStep: number;
  totalSteps: number;
  /** Loss and accuracy of the step's batch. */
  loss: number;
  accuracy: number;
  learningRate: number;
  /** Seconds since this call started, and an estimate of those left. */
  elapsedSeconds: number;
  etaSeconds: number;
}

/** One finished epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean batch loss and accuracy over the epoch. */
  loss: number;
  trainAccuracy: number;
  /** Accuracy on `options.test`, when given. */
  testAccuracy?: number;
  /** Wall seconds of the epoch (training only, not evaluation). */
  seconds: number;
}

export interface TrainClassifierOptions {
  epochs: number;
  /** Images per step (default 128). */
  batchSize?: number;
  /** Peak learning rate of the cosine schedule (default 1e-3). */
  lr?: number;
  /** Learning rate reached at the end (default lr / 100). */
  minLr?: number;
  /** Epochs of linear warm-up (default 1, or 0 for a single epoch). */
  warmupEpochs?: number;
  /** AdamW weight decay (default 0.05). */
  weightDecay?: number;
  /** Random translation in pixels (default 2). */
  maxShift?: number;
  /** Label smoothing (default 0). */
  labelSmoothing?: number;
  /** Gradient norm clip (default none). */
  clipNorm?: number;
  /** Seed of batch order and augmentation (default 0). */
  seed?: number;
  /** Evaluated after every epoch when given. */
  test?: MnistData;
  /** Epoch to start at, with the optimiser state saved then (resuming an interrupted run). */
  resume?: { epoch: number; optimizerState: StateDict };
  onProgress?: (progress: TrainProgress) => void;
  /** Called after each epoch (and its evaluation); awaited, e.g. to save a resumable state. */
  onEpochEnd?: (record: EpochRecord, trainer: ClassifierTrainer) => Promise<void> | void;
  /** Stops between steps when aborted (throws the signal's reason). */
  signal?: AbortSignal;
}

/** What a training run did. */
export interface TrainResult {
  epochs: number;
  steps: number;
  /** Wall seconds of this call. */
  seconds: number;
  history: EpochRecord[];
  /** Accuracy on `options.test` after the last epoch, when given. */
  testAccuracy?: number;
}

/** Lets timers and I/O run between steps, so progress output and Ctrl-C get through. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains a classifier with AdamW under a cosine schedule with linear warm-up, on seeded,
 * randomly translated mini-batches; evaluates on `test` after each epoch when given.
 */
export async function trainClassifier(
  model: ClassifierModel,
  train: MnistData,
  options: TrainClassifierOptions,
): Promise<TrainResult> {
  const lr = options.lr ?? 1e-3;
  const batchSize = options.batchSize ?? 128;
  const stepsPerEpoch = Math.floor(train.count / batchSize);
  const totalSteps = options.epochs * stepsPerEpoch;
  const warmupEpochs = options.warmupEpochs ?? (options.epochs > 1 ? 1 : 0);
  const schedule = cosineWithWarmup({
    baseLr: lr,
    warmupSteps: Math.min(warmupEpochs * stepsPerEpoch, totalSteps - 1),
    totalSteps,
    minLr: options.minLr ?? lr / 100,
  });
  const trainer = new ClassifierTrainer(model, train, {
    batchSize,
    schedule,
    weightDecay: options.weightDecay,
    maxShift: options.maxShift,
    labelSmoothing: options.labelSmoothing,
    clipNorm: options.clipNorm,
    seed: options.seed,
  });
  const started = performance.now();
  const history: EpochRecord[] = [];
  const startEpoch = options.resume?.epoch ?? 0;
  try {
    if (options.resume) {
      trainer.loadStateDict(options.resume.optimizerState);
      trainer.step = startEpoch * stepsPerEpoch;
    }
    const stepsThisCall = totalSteps - trainer.step;
    for (let epoch = startEpoch; epoch < options.epochs; epoch++) {
      const epochStart = performance.now();
      let lossSum = 0;
      let accSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        options.signal?.throwIfAborted();
        const learningRate = trainer.learningRate;
        const { loss, accuracy } = await trainer.trainStep();
        lossSum += loss;
        accSum += accuracy;
        if (options.onProgress) {
          const elapsed = (performance.now() - started) / 1000;
          const done = trainer.step - startEpoch * stepsPerEpoch;
          options.onProgress({
            epoch,
            epochs: options.epochs,
            step: s + 1,
            stepsPerEpoch,
            globalStep: trainer.step,
            totalSteps,
            loss,
            accuracy,
            learningRate,
            elapsedSeconds: elapsed,
            etaSeconds: (elapsed / done) * (stepsThisCall - done),
          });
        }
        await yieldToEventLoop();
      }
      const record: EpochRecord = {
        epoch,
        loss: lossSum / stepsPerEpoch,
        trainAccuracy: accSum / stepsPerEpoch,
        seconds: (performance.now() - epochStart) / 1000,
      };
      if (options.test)
        record.testAccuracy = (await evaluateAccuracy(model, options.test)).accuracy;
      history.push(record);
      await options.onEpochEnd?.(record, trainer);
    }
  } finally {
    trainer.dispose();
  }
  const result: TrainResult = {
    epochs: options.epochs,
    steps: totalSteps,
    seconds: (performance.now() - started) / 1000,
    history,
  };
  const last = history.at(-1)?.testAccuracy;
  if (last !== undefined) result.testAccuracy = last;
  return result;
}
