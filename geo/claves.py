"""Buscar códigos (claves de texto: ``codigo`` de predio, nombre de área verde…) por hash.

Con pandas 3, ``Series.isin`` sobre una columna de texto crea un escalar de Arrow por cada
elemento del conjunto (~12 µs cada uno): preguntar cuáles de 120 000 trozos son de predios
conocidos tomaba 1,5 s, y con un millón, ~15 s. Aquí se busca con ``pyarrow.compute.index_in``
(una tabla hash en C).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def arrow_texto(valores):
    """``valores`` como arreglo de texto de Arrow (los que ya lo son, tal cual)."""
    import pyarrow as pa

    if isinstance(valores, (pa.Array, pa.ChunkedArray)):
        return valores
    if isinstance(valores, pd.Series) and valores.dtype != object:
        return pa.array(valores)
    return pa.array(np.asarray(valores, dtype=object), type=pa.large_string())


def posiciones(valores, claves) -> np.ndarray:
    """Posición de cada valor en ``claves`` (-1 si no está; la primera, si se repite).

    Con pyarrow (``index_in``, hash en C) es varias veces más rápido que un ``pd.Index`` de
    texto: con 100 000 predios es lo que más pesa al empalmar.
    """
    import pyarrow.compute as pc

    if len(valores) == 0:
        return np.empty(0, dtype=np.int64)
    if len(claves) == 0:
        return np.full(len(valores), -1, dtype=np.int64)
    r = pc.index_in(arrow_texto(valores), value_set=arrow_texto(claves))
    return np.asarray(r.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def esta_en(valores, conjunto) -> np.ndarray:
    """Máscara: cada valor está en ``conjunto`` (un conjunto de Python, una lista, un índice
    o una columna), como ``valores.isin(conjunto)``."""
    if not hasattr(conjunto, "__len__") or isinstance(conjunto, (set, frozenset)):
        conjunto = list(conjunto)
    if len(conjunto) == 0 or len(valores) == 0:
        return np.zeros(len(valores), dtype=bool)
    return posiciones(valores, conjunto) >= 0
