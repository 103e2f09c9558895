import { describePythonUnittest } from '../testing/python-unittest.ts';

// The text-encoder probe is Python (it reads the frozen PyTorch encoder).
describePythonUnittest('text encoder probe', 'models.probe.test_probe', ['numpy', 'torch']);
