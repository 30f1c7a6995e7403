/**
 * ONNX export of a (calibrated) GBDT model as a standard ONNX-ML graph that onnxruntime runs:
 *
 *   features  float[N, F]
 *     -> Cast(to = DOUBLE)                                  (ai.onnx, opset 17)
 *     -> TreeEnsembleRegressor(SUM, post_transform NONE)     (ai.onnx.ml, opset 3)  => margin float[N, 1]
 *     -> Sigmoid                                            => probability float[N, 1]
 *
 * - Calibration is folded into the ensemble (leaf weights times Platt's a, base value
 *   a * base + b; see calibration.ts), so the graph's margin is the calibrated log-odds and
 *   `probability` is the calibrated probability of failure.
 * - Thresholds and leaf weights go in the `*_as_tensor` double attributes, and the input is cast
 *   to double first: onnxruntime then compares and accumulates in double (its kernel for double
 *   input uses double thresholds and sums), which is what the TypeScript model does. Every
 *   threshold is a float32 value and float32 -> double is exact, so each split goes the same
 *   way as `fround(x) <= threshold` in model.ts; only the final margin is rounded to float32
 *   (the operator's output type), far inside the 1e-6 parity budget for probabilities.
 * - A separate Sigmoid node rather than post_transform LOGISTIC: the regressor's LOGISTIC
 *   post-transform is not applied uniformly across onnxruntime versions for one target.
 * - IR version 8 with opsets ai.onnx 17 / ai.onnx.ml 3: loadable by onnxruntime 1.30 and
 *   checkable by the ONNX 1.12 checker (Debian bookworm's python3-onnx).
 *
 * Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto,
 * StringStringEntryProto).
 */
import type { GbdtModel, Tree } from './model.js';
import { foldCalibration } from './model.js';
import { ProtoWriter } from './protobuf.js';

export const ONNX_INPUT_NAME = 'features';
export const ONNX_OUTPUT_NAME = 'probability';
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ONNX_ML_OPSET = 3;

export interface OnnxExportOptions {
  /** Stored as metadata_props "model_version". */
  readonly modelVersion?: string;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly graphName?: string;
  readonly docString?: string;
  /** Extra metadata_props entries (string values). */
  readonly metadata?: Readonly<Record<string, string>>;
}

// onnx.proto field numbers.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const GRAPH = { node: 1, name: 2, docString: 10, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, strings: 9, type: 20 } as const;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const DATA_TYPE = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;

type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'doubles'; value: Float64Array };

function doubleTensorBytes(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i] as number, true);
  return bytes;
}

function writeAttribute(w: ProtoWriter, name: string, attr: AttributeValue): void {
  w.string(ATTRIBUTE.name, name);
  switch (attr.kind) {
    case 'int':
      w.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.INT).varint(ATTRIBUTE.i, attr.value);
      break;
    case 'string':
      w.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.STRING).string(ATTRIBUTE.s, attr.value);
      break;
    case 'ints':
      w.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.INTS);
      for (let i = 0; i < attr.value.length; i++) w.varint(ATTRIBUTE.ints, attr.value[i] as number);
      break;
    case 'strings':
      w.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.STRINGS);
      for (const s of attr.value) w.string(ATTRIBUTE.strings, s);
      break;
    case 'doubles':
      w.varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.TENSOR).message(ATTRIBUTE.t, (t) => {
        t.varint(TENSOR.dims, attr.value.length).varint(TENSOR.dataType, DATA_TYPE.DOUBLE).string(TENSOR.name, name).bytes(TENSOR.rawData, doubleTensorBytes(attr.value));
      });
      break;
  }
}

function writeNode(w: ProtoWriter, node: { name: string; opType: string; domain?: string; inputs: string[]; outputs: string[]; attributes: [string, AttributeValue][] }): void {
  for (const input of node.inputs) w.string(NODE.input, input);
  for (const output of node.outputs) w.string(NODE.output, output);
  w.string(NODE.name, node.name).string(NODE.opType, node.opType);
  for (const [name, attr] of node.attributes) w.message(NODE.attribute, (a) => writeAttribute(a, name, attr));
  if (node.domain) w.string(NODE.domain, node.domain);
}

/** ValueInfoProto of a float tensor; a string dimension is symbolic. */
function writeValueInfo(w: ProtoWriter, name: string, elemType: number, dims: (number | string)[]): void {
  w.string(VALUE_INFO.name, name).message(VALUE_INFO.type, (type) =>
    type.message(TYPE.tensorType, (tensor) =>
      tensor.varint(TENSOR_TYPE.elemType, elemType).message(TENSOR_TYPE.shape, (shape) => {
        for (const d of dims) shape.message(SHAPE.dim, (dim) => (typeof d === 'number' ? dim.varint(DIMENSION.dimValue, d) : dim.string(DIMENSION.dimParam, d)));
      }),
    ),
  );
}

interface EnsembleAttributes {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  targetTreeIds: number[];
  targetNodeIds: number[];
  targetWeights: number[];
}

function ensembleAttributes(trees: readonly Tree[]): EnsembleAttributes {
  const out: EnsembleAttributes = { treeIds: [], nodeIds: [], featureIds: [], modes: [], values: [], trueIds: [], falseIds: [], targetTreeIds: [], targetNodeIds: [], targetWeights: [] };
  // onnxruntime needs at least one node: an empty ensemble is one leaf of weight 0.
  const list: readonly Tree[] =
    trees.length > 0
      ? trees
      : [{ feature: Int32Array.of(-1), threshold: Float64Array.of(0), left: Int32Array.of(-1), right: Int32Array.of(-1), value: Float64Array.of(0), cover: Float64Array.of(0) }];
  list.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const f = tree.feature[node] as number;
      out.treeIds.push(t);
      out.nodeIds.push(node);
      if (f >= 0) {
        const threshold = tree.threshold[node] as number;
        if (Math.fround(threshold) !== threshold) throw new Error(`exportOnnx: tree ${t} node ${node}: threshold ${threshold} is not a float32 value`);
        out.featureIds.push(f);
        out.modes.push('BRANCH_LEQ');
        out.values.push(threshold);
        out.trueIds.push(tree.left[node] as number);
        out.falseIds.push(tree.right[node] as number);
      } else {
        out.featureIds.push(0);
        out.modes.push('LEAF');
        out.values.push(0);
        out.trueIds.push(0);
        out.falseIds.push(0);
        out.targetTreeIds.push(t);
        out.targetNodeIds.push(node);
        out.targetWeights.push(tree.value[node] as number);
      }
    }
  });
  return out;
}

/** Serialises the model (calibration folded in) as ONNX ModelProto bytes. */
export function exportOnnx(model: GbdtModel, options: OnnxExportOptions = {}): Uint8Array {
  const folded = foldCalibration(model);
  const nFeatures = model.featureNames.length;
  const e = ensembleAttributes(folded.trees);
  const metadata: [string, string][] = [
    ['feature_names', JSON.stringify(model.featureNames)],
    ['output', `${ONNX_OUTPUT_NAME}: calibrated probability of the positive class, shape [N, 1]`],
    ['calibration', JSON.stringify(model.calibration)],
    ['trees', String(model.trees.length)],
  ];
  if (options.modelVersion !== undefined) metadata.unshift(['model_version', options.modelVersion]);
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    const existing = metadata.findIndex(([k]) => k === key);
    if (existing >= 0) metadata.splice(existing, 1);
    metadata.push([key, value]);
  }

  const w = new ProtoWriter();
  w.varint(MODEL.irVersion, ONNX_IR_VERSION);
  w.message(MODEL.opsetImport, (o) => o.string(OPSET.domain, '').varint(OPSET.version, ONNX_OPSET));
  w.message(MODEL.opsetImport, (o) => o.string(OPSET.domain, 'ai.onnx.ml').varint(OPSET.version, ONNX_ML_OPSET));
  w.string(MODEL.producerName, options.producerName ?? 'lims-mlops');
  if (options.producerVersion) w.string(MODEL.producerVersion, options.producerVersion);
  w.string(MODEL.domain, 'lims-mlops');
  if (options.docString) w.string(MODEL.docString, options.docString);
  w.message(MODEL.graph, (g) => {
    g.message(GRAPH.node, (n) => writeNode(n, { name: 'cast_to_double', opType: 'Cast', inputs: [ONNX_INPUT_NAME], outputs: ['features_double'], attributes: [['to', { kind: 'int', value: DATA_TYPE.DOUBLE }]] }));
    g.message(GRAPH.node, (n) =>
      writeNode(n, {
        name: 'tree_ensemble',
        opType: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        inputs: ['features_double'],
        outputs: ['margin'],
        attributes: [
          ['n_targets', { kind: 'int', value: 1 }],
          ['aggregate_function', { kind: 'string', value: 'SUM' }],
          ['post_transform', { kind: 'string', value: 'NONE' }],
          ['base_values_as_tensor', { kind: 'doubles', value: Float64Array.of(folded.baseScore) }],
          ['nodes_treeids', { kind: 'ints', value: e.treeIds }],
          ['nodes_nodeids', { kind: 'ints', value: e.nodeIds }],
          ['nodes_featureids', { kind: 'ints', value: e.featureIds }],
          ['nodes_modes', { kind: 'strings', value: e.modes }],
          ['nodes_values_as_tensor', { kind: 'doubles', value: Float64Array.from(e.values) }],
          ['nodes_truenodeids', { kind: 'ints', value: e.trueIds }],
          ['nodes_falsenodeids', { kind: 'ints', value: e.falseIds }],
          ['target_treeids', { kind: 'ints', value: e.targetTreeIds }],
          ['target_nodeids', { kind: 'ints', value: e.targetNodeIds }],
          ['target_ids', { kind: 'ints', value: new Array<number>(e.targetNodeIds.length).fill(0) }],
          ['target_weights_as_tensor', { kind: 'doubles', value: Float64Array.from(e.targetWeights) }],
        ],
      }),
    );
    g.message(GRAPH.node, (n) => writeNode(n, { name: 'sigmoid', opType: 'Sigmoid', inputs: ['margin'], outputs: [ONNX_OUTPUT_NAME], attributes: [] }));
    g.string(GRAPH.name, options.graphName ?? 'gbdt_binary');
    g.string(GRAPH.docString, 'Gradient-boosted trees (calibrated log-odds) -> sigmoid = probability of the positive class');
    g.message(GRAPH.input, (v) => writeValueInfo(v, ONNX_INPUT_NAME, DATA_TYPE.FLOAT, ['N', nFeatures]));
    g.message(GRAPH.output, (v) => writeValueInfo(v, ONNX_OUTPUT_NAME, DATA_TYPE.FLOAT, ['N', 1]));
  });
  for (const [key, value] of metadata) w.message(MODEL.metadataProps, (m) => m.string(ENTRY.key, key).string(ENTRY.value, value));
  return w.finish();
}

/** Float32 input matrix for the ONNX model from row-major values. */
export function toFloat32Input(x: ArrayLike<number>): Float32Array {
  return Float32Array.from(x as ArrayLike<number>);
}
