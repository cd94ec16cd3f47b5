/**
 * A minimal protobuf writer for building tiny ONNX models in tests (onnx.proto3 field numbers):
 * enough for a graph of nodes with float initialisers and float tensor inputs/outputs.
 */

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const int = (field: number, value: number): number[] => [...key(field, 0), ...varint(value)];
const bytes = (field: number, value: Uint8Array | number[]): number[] => [
  ...key(field, 2),
  ...varint(value.length),
  ...value,
];
const text = (field: number, value: string): number[] =>
  bytes(field, [...new TextEncoder().encode(value)]);

const FLOAT = 1;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only. */
  ints?: Record<string, number>;
}

export interface OnnxValue {
  name: string;
  /** null for a symbolic dimension. */
  shape: (number | null)[];
}

function node(n: OnnxNode, index: number): number[] {
  const attributes = Object.entries(n.ints ?? {}).map(([name, value]) =>
    // AttributeProto: name 1, i 3, type 20 (INT = 2)
    bytes(5, [...text(1, name), ...int(3, value), ...int(20, 2)]),
  );
  return [
    ...n.inputs.flatMap((i) => text(1, i)),
    ...n.outputs.flatMap((o) => text(2, o)),
    ...text(3, `n${index}`),
    ...text(4, n.op),
    ...attributes.flat(),
  ];
}

function valueInfo(v: OnnxValue): number[] {
  const dims = v.shape.map((d) => bytes(1, d === null ? text(2, 'batch') : int(1, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, dims.flat())];
  return [...text(1, v.name), ...bytes(2, bytes(1, tensorType))];
}

function initializer(name: string, dims: number[], values: Float32Array): number[] {
  const raw = new Uint8Array(
    values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
  );
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...text(8, name), ...bytes(9, raw)];
}

/** An ONNX model (IR 7, opset 13) of the given graph. */
export function onnxModel(graph: {
  nodes: OnnxNode[];
  initializers: { name: string; dims: number[]; values: Float32Array }[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}): Uint8Array {
  const body = [
    ...graph.nodes.flatMap((n, i) => bytes(1, node(n, i))),
    ...text(2, 'test-graph'),
    ...graph.initializers.flatMap((t) => bytes(5, initializer(t.name, t.dims, t.values))),
    ...graph.inputs.flatMap((v) => bytes(11, valueInfo(v))),
    ...graph.outputs.flatMap((v) => bytes(12, valueInfo(v))),
  ];
  return Uint8Array.from([
    ...int(1, 7),
    ...text(2, 'verikiosk-test'),
    ...bytes(7, body),
    ...bytes(8, [...text(1, ''), ...int(2, 13)]),
  ]);
}
