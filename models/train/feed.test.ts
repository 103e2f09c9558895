import { describePythonUnittest } from '../testing/python-unittest.ts';

// The training feed is Python (it feeds the PyTorch trainer).
describePythonUnittest('parallel training feed', 'models.train.test_feed', ['numpy', 'PIL', 'torch']);
