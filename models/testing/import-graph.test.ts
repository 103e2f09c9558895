import { describePythonUnittest } from './python-unittest.ts';

// The Python packages import each other without cycles (function-level imports included).
describePythonUnittest('python import graph', 'models.testing.test_import_graph', ['ast']);
