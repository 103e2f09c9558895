import { describePythonUnittest } from '../testing/python-unittest.ts';

// The world is Python (it feeds the PyTorch trainer).
describePythonUnittest('procedural shapes world', 'models.world.test_world', ['numpy', 'PIL']);
