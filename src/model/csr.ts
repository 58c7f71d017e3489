/** A sparse item x item matrix in CSR form: row i is items[offsets[i]..offsets[i+1]) with their weights. */
export interface Csr {
  offsets: Int32Array;
  items: Int32Array;
  weights: Float32Array;
}
