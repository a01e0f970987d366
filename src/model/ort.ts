/**
 * The slice of the onnxruntime API the engine uses. onnxruntime-web and onnxruntime-node export
 * the same shapes, so one causal-LM implementation runs on both; each backend file supplies its
 * module through this type and nothing else in the engine imports a runtime.
 */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

/** What a graph declares of one input (onnxruntime >= 1.22; `type` only for tensors). */
export interface OrtValueMetadata {
  readonly name: string;
  readonly type?: string;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}

export interface OrtModule {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  readonly Tensor: new (type: "int64" | "float32" | "float16", data: BigInt64Array | Float32Array | Uint16Array, dims: readonly number[]) => OrtTensor;
}
