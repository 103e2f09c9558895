import { describePythonUnittest } from '../testing/python-unittest.ts';

// Training routes linears and attention matmuls through oneDNN (Debian's torch has a generic BLAS); the
// Python tests check it computes what the generic path computes, forward and backward.
describePythonUnittest('oneDNN training matmuls match the generic path', 'models.nets.test_onednn', ['torch']);
describePythonUnittest('training benchmark', 'models.train.test_bench', ['numpy', 'PIL', 'torch']);
