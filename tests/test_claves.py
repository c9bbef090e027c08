"""Búsqueda de códigos por hash (:mod:`geo.claves`): lo mismo que ``isin`` / ``get_indexer``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.claves import esta_en, posiciones


def test_esta_en_como_isin():
    valores = pd.Series(["P-1", "P-2", "P-3", "P-2", "X"], dtype="str")
    for conjunto in ({"P-2", "X"}, ["P-2", "X", "X"], pd.Index(["X", "P-2"]),
                     pd.Series(["P-2", "X"], dtype="str")):
        assert esta_en(valores, conjunto).tolist() == [False, True, False, True, True]
    assert esta_en(valores, set()).tolist() == [False] * 5
    assert esta_en(valores.iloc[:0], {"P-1"}).tolist() == []
    assert esta_en(pd.Index(["a", "b"]), pd.Index(["b"])).tolist() == [False, True]


def test_posiciones_la_primera_si_se_repite():
    pos = posiciones(np.array(["b", "z", "a"], dtype=object), ["a", "b", "a"])
    assert pos.tolist() == [1, -1, 0]
