"""State has one owner: code in abm/ changes another object's state only through that owner's verbs.

What "owner" means here (checked on the source, statically):

- an object owns its attributes: a method may write ``self.<attr>`` (and items of it: ``self.acts["x"] += 1``,
  ``self.queue[i] = ...``), nothing reached *through* another object: not ``self.<attr>.<attr>``
  (``self.body.units = ...``), not ``self.spaces[b].eligible``, not ``model.<anything>``, not a parameter
  (``needs.outcome[i] = ...``), not a local alias of any of these (``hh = model.households;
  hh.trust[i] = ...``);
- a per-unit column of the store (abm/store.py) is owned by whoever declared it: the class that does
  ``self.<group> = <store>.declare(...)`` may write ``self.<group>.<column>[...]``; the household
  attributes are the store's own (abm/population.py: ``Households``), changed by its verbs
  (``move_in``, ``took_part``, ``close_gap``, ...);
- a fresh local object (built by a call in the function: a deep copy, a new spec, an array) and the
  module's own globals may be written freely.

"Write" means an assignment, an augmented assignment, ``del``, a mutating container method (``append``,
``pop``, ``update``, ...) and the in-place numpy forms (``np.<ufunc>.at(X, ...)``, ``out=X``, ``X.fill``,
``np.copyto``) and the shared update rules of abm/dynamics.py (``close_gap(X, ...)``, ``lower(X, ...)``),
whose job is to update the array their caller owns (so abm/dynamics.py itself may write its parameters).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ABM = Path(__file__).resolve().parent.parent / "abm"
#: functions whose purpose is to update the array their caller passes (the caller must own it)
UPDATE_RULES = {"close_gap", "lower"}
#: modules whose functions write their parameters by design (the shared update rules)
WRITES_PARAMETERS = {"dynamics.py"}
MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "discard",
            "fill", "sort", "resize", "put", "itemset"}
IN_PLACE = {"copyto", "put", "place", "putmask"}

# a path is (root, steps): root "self", "param", "fresh" or "global"; steps ("attr", name) or ("sub", None)
FRESH = ("fresh", ())


class Function:
    """Where each local name of one function points (flow-insensitive: a name bound to other objects' state
    anywhere in the function counts as an alias everywhere in it)."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool, module_globals: set[str]):
        args = node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        self.self_name = names[0] if is_method and names else None
        self.params = set(names) - {self.self_name}
        self.globals = module_globals
        self.alias: dict[str, tuple] = {}
        for _ in range(3):  # aliases of aliases
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Assign, ast.AnnAssign)) and sub.value is not None:
                    for t in (sub.targets if isinstance(sub, ast.Assign) else [sub.target]):
                        self.bind(t, sub.value)
                elif isinstance(sub, (ast.For, ast.comprehension)):
                    self.bind(sub.target, sub.iter, element=True)
                elif isinstance(sub, ast.NamedExpr):
                    self.bind(sub.target, sub.value)

    def bind(self, target, value, element: bool = False) -> None:
        if isinstance(target, ast.Name):
            root, steps = self.path(value)
            if element:
                if isinstance(value, ast.Call):
                    root, steps = FRESH  # range(), enumerate(), zip() ... of anything: elements are values
                else:
                    steps = (*steps, ("sub", None))
            if root == "fresh":
                # a parameter becomes the function's own only when rebound to a copy of itself (x = x.copy()),
                # not when a default replaces it (x = make() if x is None): other callers pass theirs
                copied = any(isinstance(n, ast.Name) and n.id == target.id for n in ast.walk(value))
                if target.id not in self.params or copied:
                    self.alias.setdefault(target.id, FRESH)
            else:
                self.alias[target.id] = (root, steps)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) and not element:
                for t, v in zip(target.elts, value.elts):
                    self.bind(t, v)
            else:
                for t in target.elts:
                    self.bind(t, value, element=True)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value, element=True)

    def path(self, node) -> tuple:
        steps = []
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            steps.append(("attr", node.attr) if isinstance(node, ast.Attribute) else ("sub", None))
            node = node.value
        steps.reverse()
        if isinstance(node, ast.Name):
            if node.id == self.self_name:
                return "self", tuple(steps)
            if node.id in self.alias:
                root, base = self.alias[node.id]
                return root, (*base, *steps)
            if node.id in self.params:
                return "param", tuple(steps)
            if node.id in self.globals:
                return "global", tuple(steps)
            return "fresh", tuple(steps)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == self.self_name):
            return "self", (("attr", "?"), *steps)
        return "fresh", tuple(steps)


def _owned(root: str, steps: tuple, groups: set[str], writes_parameters: bool) -> bool:
    if root in ("fresh", "global"):
        return True
    if root == "param":
        return writes_parameters
    attrs = [i for i, (kind, _) in enumerate(steps) if kind == "attr"]
    if len(attrs) <= 1:
        return True
    first, second = steps[attrs[0]][1], attrs[1]
    # self.<group>.<column>[...]: a column of a group this class declared in the store
    return len(attrs) == 2 and first in groups and second == attrs[0] + 1


def _groups(cls: ast.ClassDef) -> set[str]:
    """Attributes ``self.<name> = <...>.declare(...)`` of a class: its column groups in the store."""
    out = set()
    for node in ast.walk(cls):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "declare"):
            for t in node.targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    out.add(t.attr)
    return out


def _written(node) -> list:
    """The expressions a statement or call writes into."""
    if isinstance(node, ast.Assign):
        out = []
        for t in node.targets:
            out += list(t.elts) if isinstance(t, (ast.Tuple, ast.List)) else [t]
        return [t for t in out if not isinstance(t, ast.Name)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target] if not isinstance(node.target, ast.Name) else []
    if isinstance(node, ast.Delete):
        return [t for t in node.targets if not isinstance(t, ast.Name)]
    if isinstance(node, ast.Call):
        out = [k.value for k in node.keywords if k.arg == "out"]
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "at" and node.args:  # np.add.at(X, ...)
            out.append(node.args[0])
        elif isinstance(f, ast.Attribute) and f.attr in IN_PLACE and node.args and isinstance(f.value, ast.Name) \
                and f.value.id in ("np", "numpy"):
            out.append(node.args[0])
        elif isinstance(f, ast.Name) and f.id in UPDATE_RULES and node.args:
            out.append(node.args[0])
        elif isinstance(f, ast.Attribute) and f.attr in MUTATORS:
            out.append(f.value)
        return out
    return []


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_globals = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                      for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                      if isinstance(t, ast.Name)}
    out = []

    def visit(node, cls: ast.ClassDef | None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fn = Function(child, cls is not None and child in cls.body, module_globals)
                groups = _groups(cls) if cls is not None else set()
                for sub in ast.walk(child):
                    for target in _written(sub):
                        root, steps = fn.path(target)
                        if not _owned(root, steps, groups, path.name in WRITES_PARAMETERS):
                            where = f"{path.relative_to(ABM.parent) if path.is_relative_to(ABM.parent) else path.name}:{target.lineno}"
                            out.append(f"{where} {child.name}: writes {ast.unparse(target)}")
                visit(child, None)  # nested functions
            else:
                visit(child, cls)

    visit(tree, None)
    return out


MODULES = sorted(ABM.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ABM)) for p in MODULES])
def test_no_module_writes_another_objects_state(path):
    found = violations(path)
    assert not found, "writes to state owned by another object (use the owner's verb):\n" + "\n".join(found)


CHECKER_CASES = {
    "def f(self, model):\n    model.x = 1": True,
    "def f(self):\n    self.model.households.trust[0] = 1": True,
    "def f(self, model):\n    hh = model.households\n    hh.trust[0] = 1": True,
    "def f(self):\n    hh, p = self.model.households, self.p\n    hh.last_participation[0] = 3": True,
    "def f(self, needs):\n    needs.outcome[0] = 1": True,
    "def f(self):\n    self.spaces[0].eligible = 1": True,
    "def f(self):\n    self.body.units = 1": True,
    "def f(self, model):\n    np.subtract.at(model.help.free, [0], 1.0)": True,
    "def f(self, model):\n    close_gap(model.households.trust, [0], 0.1)": True,
    "def f(self, model):\n    model.cooperatives.append(1)": True,
    "def f(self, model):\n    for lever in model.levers:\n        lever.x = 1": True,
    "def f(self, config=None):\n    if config is None:\n        config = make()\n    config.seed = 1": True,
    "def f(self, attrs):\n    attrs = {k: v.copy() for k, v in attrs.items()}\n    attrs['a'][0] = 1": False,
    "def f(self):\n    self.acts['x'] += 1": False,
    "def f(self):\n    self.queue = self.queue[1:]": False,
    "def f(self):\n    np.maximum.at(self.visited, [0], 1)": False,
    "def f(self, model):\n    spec = copy.deepcopy(model.spec)\n    spec.name = 'a'": False,
    "def f(self, model):\n    x = np.zeros(3)\n    x[0] = 1": False,
}


@pytest.mark.parametrize("body,flagged", CHECKER_CASES.items(), ids=range(len(CHECKER_CASES)))
def test_the_checker_sees_foreign_writes(tmp_path, body, flagged):
    """The checker flags writes through another object and lets an object write its own state."""
    src = "import copy\nimport numpy as np\n\nclass C:\n" + "\n".join("    " + line for line in body.splitlines())
    (tmp_path / "m.py").write_text(src)
    assert bool(violations(tmp_path / "m.py")) == flagged


def test_a_declared_column_group_is_written_by_its_owner_only(tmp_path):
    src = ("class C:\n    def __init__(self, model):\n        self.unit = model.households.declare('c', x=1)\n"
           "    def f(self):\n        self.unit.x[0] = 1\n        self.other.x[0] = 1\n"
           "    def g(self, model):\n        model.c.unit.x[0] = 1\n")
    (tmp_path / "m.py").write_text(src)
    found = violations(tmp_path / "m.py")
    assert [v.split(": writes ")[1] for v in found] == ["self.other.x[0]", "model.c.unit.x[0]"]
