import { describePythonUnittest } from '../testing/python-unittest.ts';

// The frozen-vs-joint text encoder switch of the trainer (the model card's comparison) is Python.
describePythonUnittest('stage trainer: frozen and joint text encoder', 'models.train.test_stage', ['numpy', 'PIL', 'torch']);
