"""The layout's two rules, checked on the source: imports go downward (front doors and tasks ->
services -> pipeline and models -> configuration), and no module imports itself back through
others (no import circle). The graph is read from the code (``tests/support/import_graph.py``),
so a new module is covered the day it is added."""

from __future__ import annotations

import pytest

from tests.support.import_graph import PACKAGES, circles, graph, layer, sources, upward_imports


def test_every_module_has_a_layer():
    assert [name for name in sources() if name not in PACKAGES and layer(name) is None] == []


def test_imports_go_downward():
    assert upward_imports(graph()) == []


def test_no_module_imports_itself_back_through_others():
    assert circles(graph()) == []


@pytest.mark.parametrize(
    "edges, expected",
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_circles_are_found(edges, expected):
    assert circles(edges) == expected


def test_an_upward_import_is_found():
    edges = {"docproc.pipeline.embed": {"docproc.services.retrieval"}, "docproc.api.views": set()}
    assert upward_imports(edges) == ["docproc.pipeline.embed -> docproc.services.retrieval"]
