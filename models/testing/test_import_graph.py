"""The Python packages form no import cycle, counting imports inside functions too.

A cycle hidden behind a function-level import (as world/spec.py -> holdout.py ->
spec.py and export/__main__.py <-> check_onnx.py once were) works until someone
moves the import to the top; this walks every import statement, wherever it is.
"""
import ast
import pathlib
import unittest

MODELS = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("world", "export", "train", "nets", "eval", "tokenizer", "reference", "fixtures")


def module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(MODELS.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: pathlib.Path, known: set) -> set:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        out.update(t for t in targets if t in known and t != name)
    return out


def graph() -> dict:
    files = [p for pkg in PACKAGES for p in (MODELS / pkg).rglob("*.py") if (MODELS / pkg).exists()]
    known = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, known) for p in files}


def find_cycle(g: dict):
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


class ImportGraphTest(unittest.TestCase):
    def test_no_cycles(self):
        g = graph()
        self.assertIn("models.world.sample", g)
        self.assertIn("models.world.holdout", g["models.world.sample"])
        cycle = find_cycle(g)
        self.assertIsNone(cycle, f"import cycle: {' -> '.join(cycle or [])}")

    def test_finds_a_cycle(self):
        self.assertEqual(find_cycle({"a": {"b"}, "b": {"a"}}), ["a", "b", "a"])


if __name__ == "__main__":
    unittest.main()
