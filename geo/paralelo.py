"""Repartir una función vectorizada de shapely en bloques entre los núcleos.

Las funciones de shapely (GEOS) sueltan el GIL: partir un arreglo grande en bloques
consecutivos y procesarlos en hilos da el mismo resultado, en el mismo orden, en menos tiempo.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

MIN_POR_HILO = 50_000
"""Elementos por hilo por debajo de los cuales no vale la pena repartir."""


def en_bloques(funcion: Callable[[np.ndarray], np.ndarray], arreglo: np.ndarray,
               minimo: int = MIN_POR_HILO) -> np.ndarray:
    """``funcion(arreglo)`` calculada por bloques consecutivos en varios hilos.

    ``funcion`` debe ser elemento a elemento (un resultado por elemento, que no dependa de
    los demás), como ``shapely.is_valid`` o ``shapely.to_wkb``.
    """
    n = len(arreglo)
    hilos = max(1, min(os.cpu_count() or 1, n // max(1, minimo)))
    if hilos <= 1:
        return funcion(arreglo)
    cortes = np.linspace(0, n, hilos + 1).astype(np.int64)
    with ThreadPoolExecutor(hilos) as ex:
        partes = list(ex.map(lambda i: funcion(arreglo[cortes[i]:cortes[i + 1]]), range(hilos)))
    return np.concatenate(partes)
